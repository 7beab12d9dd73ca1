"""Checking model files against their SHA-256 and unpacking what an admin copied onto the server.

One code path for every way a model arrives: ``voicebot models fetch`` (downloaded archive or files),
``voicebot models install PATH`` (an archive, a folder or the files carried over from a connected machine)
and ``voicebot models list`` (what is installed, verified or damaged) all check the same ``ModelFile`` list.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from voicebot.errors import ModelError

_CHUNK = 1 << 20
_HASHES: dict[tuple[str, int, int], str] = {}


@dataclass(frozen=True)
class ModelFile:
    """One file a complete model has, relative to the model's place (its folder, or the models folder)."""

    path: str
    sha256: str | None = None
    """Expected SHA-256 (hex); None when no pinned hash is known (then only its presence is checked)."""


@dataclass(frozen=True)
class Verification:
    """What ``verify_files`` found."""

    present: bool
    """Every expected file is there."""
    pinned: bool
    """Every expected file has a pinned hash (so ``ok`` means: verified)."""
    problems: tuple[str, ...] = ()
    """Missing files and hash mismatches, one sentence each."""

    @property
    def ok(self) -> bool:
        """Present and without a mismatch."""
        return self.present and not self.problems

    def status(self) -> str:
        """For ``voicebot models list``: ``verified``, ``installed (no pinned hash)``, ``no`` or ``DAMAGED``."""
        if not self.present:
            return "no"
        if self.problems:
            return "DAMAGED"
        return "verified" if self.pinned else "installed (no pinned hash)"


def sha256_of(path: Path) -> str:
    """The file's SHA-256 (hex); remembered per path, size and modification time within the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    known = _HASHES.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def mismatch(name: str, file: Path, actual: str, expected: str) -> str:
    """The sentence for a file whose hash is not the pinned one."""
    return (
        f"{name}: {file} has SHA-256 {actual}, expected {expected} "
        "(damaged, incomplete or a different version: get it again from the source the catalogue names)"
    )


def verify_files(name: str, root: Path, files: Sequence[ModelFile]) -> Verification:
    """Check ``files`` under ``root``: presence, and the SHA-256 where one is pinned."""
    problems: list[str] = []
    present = True
    for item in files:
        file = root / item.path
        if not file.is_file():
            present = False
            problems.append(f"{name}: {file} is missing")
            continue
        if item.sha256 is not None:
            actual = sha256_of(file)
            if actual != item.sha256:
                problems.append(mismatch(name, file, actual, item.sha256))
    pinned = bool(files) and all(item.sha256 is not None for item in files)
    return Verification(present, pinned, tuple(problems))


def check_files(name: str, root: Path, files: Sequence[ModelFile]) -> Verification:
    """``verify_files``, raising ModelError with every problem when a file is missing or differs."""
    result = verify_files(name, root, files)
    if result.problems:
        raise ModelError("; ".join(result.problems))
    return result


def check_archive(name: str, archive: Path, expected: str | None) -> None:
    """Refuse an archive (or single download) whose SHA-256 is not the pinned one."""
    if expected is not None:
        actual = sha256_of(archive)
        if actual != expected:
            raise ModelError(mismatch(name, archive, actual, expected))


def unpack(name: str, source: Path, work: Path) -> Path:
    """A folder holding ``source``'s content: the folder itself, or a zip/tar archive unpacked into ``work``."""
    if source.is_dir():
        return source
    if not source.is_file():
        raise ModelError(f"{name}: {source} does not exist")
    out = work / "unpacked"
    out.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zipped:
            for member in zipped.namelist():
                if not (out / member).resolve().is_relative_to(out.resolve()):
                    raise ModelError(f"{name}: the archive {source} holds an unsafe path {member!r}")
            zipped.extractall(out)  # noqa: S202  every member was checked above
        return out
    if tarfile.is_tarfile(source):
        with tarfile.open(source) as tarred:
            try:
                tarred.extractall(out, filter="data")  # refuses absolute paths, .., devices and links out
            except tarfile.FilterError as error:
                raise ModelError(f"{name}: the archive {source} holds an unsafe entry: {error}") from error
        return out
    return source.parent  # a single file: its folder holds the model's other files too (piper's .onnx.json)


def find_root(name: str, unpacked: Path, files: Sequence[ModelFile], source: Path) -> Path:
    """The folder under ``unpacked`` (itself or up to two levels down) that holds every expected file."""
    candidates = [unpacked, *sorted(p for p in unpacked.glob("*") if p.is_dir())]
    candidates += sorted(p for p in unpacked.glob("*/*") if p.is_dir())
    for folder in candidates:
        if all((folder / item.path).is_file() for item in files):
            return folder
    wanted = ", ".join(item.path for item in files)
    raise ModelError(f"{name}: {source} holds no complete model (looked for {wanted})")


def copy_tree(source: Path, target: Path) -> None:
    """Copy a model folder (the files, not links out of it)."""
    shutil.copytree(source, target, symlinks=False)


__all__ = [
    "ModelFile",
    "Verification",
    "check_archive",
    "check_files",
    "copy_tree",
    "find_root",
    "mismatch",
    "sha256_of",
    "unpack",
    "verify_files",
]
