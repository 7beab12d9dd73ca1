"""Format-preserving reads and writes of the content files (used by ``voicebot.content.edit``).

YAML goes through ruamel.yaml's round-trip mode (comments, key order, quoting and block styles kept);
``voicebot.toml`` goes through tomlkit. Files are replaced atomically (temporary file in the same folder,
then ``os.replace``), so a bot that reloads on a changed mtime never reads half a file.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

FOLD_WIDTH = 100
"""Line width at which long answers in folded (``>``) blocks are wrapped."""

_SEQ_ITEM = re.compile(r"^(\s*)-\s")
_KEY_LINE = re.compile(r"^(\s*)[^\s#-][^:#]*:\s*(#.*)?$")


def make_yaml(text: str) -> YAML:
    """A round-trip YAML instance whose indentation matches ``text`` (so unchanged parts stay byte-equal)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = _detect_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _detect_indent(text: str) -> tuple[int, int, int]:
    """Guess ruamel's (mapping, sequence, offset) from the first ``key:`` followed by a ``- item`` line."""
    lines = text.splitlines()
    for index, line in enumerate(lines[:-1]):
        key = _KEY_LINE.match(line)
        if key is None:
            continue
        following = next((candidate for candidate in lines[index + 1 :] if candidate.strip()), "")
        item = _SEQ_ITEM.match(following)
        if item is None:
            continue
        offset = len(item.group(1)) - len(key.group(1))
        return 2, offset + 2, offset
    return 2, 4, 2


def load_yaml(text: str) -> Any:
    """Parse YAML text in round-trip mode."""
    return make_yaml(text).load(text)


def dump_yaml(data: Any, like: str) -> str:
    """Serialise round-trip data with the indentation of the original text ``like``."""
    out = io.StringIO()
    make_yaml(like).dump(data, out)
    return out.getvalue()


def styled(old: object, new: str) -> str:
    """``new`` in the scalar style of ``old`` (folded, literal, quoted or plain)."""
    result: str = new
    if isinstance(old, FoldedScalarString):
        folded = FoldedScalarString(new)
        folded.fold_pos = fold_positions(new, FOLD_WIDTH)
        result = folded
    elif isinstance(old, LiteralScalarString):
        result = LiteralScalarString(new)
    elif isinstance(old, DoubleQuotedScalarString):
        result = DoubleQuotedScalarString(new)
    elif isinstance(old, SingleQuotedScalarString):
        result = SingleQuotedScalarString(new)
    return result


def fold_positions(text: str, width: int) -> list[int]:
    """Indices of spaces where a folded block breaks its lines so none is longer than ``width``."""
    positions: list[int] = []
    line_start = 0
    last_space = -1
    for index, char in enumerate(text):
        if char == "\n":
            line_start, last_space = index + 1, -1
        elif char == " " and index + 1 < len(text) and text[index + 1] != " " and index > 0 and text[index - 1] != " ":
            if index - line_start > width and last_space > line_start:
                positions.append(last_space)
                line_start = last_space + 1
            last_space = index
    if len(text) - line_start > width and last_space > line_start:
        positions.append(last_space)
    return positions


def replace_sequence(seq: CommentedSeq, items: Sequence[str]) -> None:
    """Make ``seq`` equal to ``items`` with few moves, so comments on unchanged entries survive."""
    wanted = list(items)
    for index in range(len(seq) - 1, -1, -1):
        if str(seq[index]) not in wanted:
            del seq[index]
    seen: set[str] = set()
    for index in range(len(seq) - 1, -1, -1):
        value = str(seq[index])
        if value in seen:
            del seq[index]
        seen.add(value)
    for position, item in enumerate(wanted):
        current = [str(value) for value in seq]
        if position < len(current) and current[position] == item:
            continue
        if item in current:
            del seq[current.index(item)]
        seq.insert(position, item)


def as_seq(values: Iterable[str], like: object) -> CommentedSeq:
    """A new YAML sequence with the flow/block style of ``like`` (when it is a sequence)."""
    seq = CommentedSeq(list(values))
    if isinstance(like, CommentedSeq) and like.fa.flow_style():
        seq.fa.set_flow_style()
    return seq


def find_item(items: Iterable[Any], key: str, value: str) -> CommentedMap | None:
    """The mapping in ``items`` whose ``key`` equals ``value``."""
    for item in items:
        if isinstance(item, CommentedMap) and str(item.get(key)) == value:
            return item
    return None


def key_lines(mapping: CommentedMap, end_line: int) -> dict[str, tuple[int, int]]:
    """Per key of ``mapping``: the 1-based first and last line its key and value occupy in the source."""
    starts = sorted((int(mapping.lc.key(key)[0]) + 1, str(key)) for key in mapping)
    spans: dict[str, tuple[int, int]] = {}
    for index, (line, key) in enumerate(starts):
        last = starts[index + 1][0] - 1 if index + 1 < len(starts) else end_line
        spans[key] = (line, max(line, last))
    return spans


def fast_load(text: str) -> Any:
    """Plain YAML parsing for reading (the C loader when present; round-trip parsing is only for writing)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def plain(item: Any) -> dict[str, Any]:
    """A round-trip mapping as plain Python values."""
    result: dict[str, Any] = {}
    for key, value in item.items():
        result[str(key)] = (
            [str(v) for v in value] if isinstance(value, list) else (None if value is None else str(value))
        )
    return result


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, keeping the file's permission bits."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = [
    "FOLD_WIDTH",
    "as_seq",
    "dump_yaml",
    "fast_load",
    "find_item",
    "fold_positions",
    "key_lines",
    "load_yaml",
    "make_yaml",
    "plain",
    "replace_sequence",
    "styled",
    "write_atomic",
]
