"""The caller fixtures of ``audio_fixtures/``: the manifest as typed values, and its validation.

``audio_fixtures/manifest.yaml`` lists every case (what the caller says, which espeak-ng voice says it,
and what the bot should decide for it as the caller's first sentence) plus the known failures.
``audio_fixtures/generate.py`` renders the committed WAVs from it and ``voicebot_bench.fixture_audio`` the
conditions generated at benchmark time (every case in the ``sweep_voices``, G.722, noise, packet loss); the
benchmarks and tests read it through ``load_manifest``. Problems are reported with file, line and field, all at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from voicebot.dialogue.decide import ACTIONS
from voicebot.errors import ContentError, Problem

FIXTURES_DIR = Path(__file__).resolve().parent.parent.parent / "audio_fixtures"
"""``audio_fixtures/`` of the checkout."""

KINDS = ("speech", "silence", "noise")
"""What a case holds: espeak-ng speech, digital silence, or seeded noise."""

STAGES = ("text", "asr16k", "asr8k")
"""Where a known failure happens: the matcher on the typed text, or the spoken 16 kHz / 8 kHz version."""

VERSIONS = {"16k": "16k", "8k": "8k_alaw"}
"""Audio versions: name -> folder below ``audio_fixtures/``."""


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice profile."""

    voice: str
    """espeak-ng voice with variant, e.g. ``de+klatt3``."""
    speed: int
    """Words per minute (``-s``)."""
    pitch: int
    """Pitch 0..99 (``-p``)."""


@dataclass(frozen=True)
class Expected:
    """What the bot should do with the case as the caller's first sentence (``voicebot match/simulate``)."""

    action: str
    """One of ``voicebot.dialogue.decide.ACTIONS``."""
    topic: str | None = None
    """Topic id answered, confirmed or transferred for."""
    department: str | None = None
    """Transfer target for ``transfer`` (and ``confirm`` of a transfer)."""

    def route(self) -> tuple[str, str | None, str | None]:
        """(action, topic, department): a decision is right when all three agree."""
        return (self.action, self.topic, self.department)


@dataclass(frozen=True)
class Fixture:
    """One caller utterance."""

    id: str
    """File stem: ``16k/<id>.wav`` and ``8k_alaw/<id>.wav``."""
    kind: str
    """One of KINDS."""
    text: str
    """What is said (empty for silence and noise)."""
    voice: str
    """Name of the voice profile (speech only)."""
    expect: Expected
    """The right decision."""
    tags: tuple[str, ...] = ()
    """What the benchmarks pick turns by (``question``, ``department``, ``yes`` …)."""
    seconds: float = 0.0
    """Length of silence/noise cases (seconds)."""
    seed: int = 0
    """Random seed of noise cases."""
    level_dbfs: float = -35.0
    """Level of noise cases (dB full scale)."""
    noise: str = "white"
    """Noise colour: ``white`` or ``hum`` (50 Hz mains hum plus hiss)."""
    line: int = 0
    """Line of the case in the manifest."""

    def path(self, version: str, root: Path = FIXTURES_DIR) -> Path:
        """The WAV of one version (``16k`` or ``8k``)."""
        return root / VERSIONS[version] / f"{self.id}.wav"


@dataclass(frozen=True)
class KnownFailure:
    """A case the bot is known to get wrong (kept, not deleted)."""

    id: str
    """Case id."""
    stage: str
    """One of STAGES."""
    reason: str
    """Why it fails."""
    line: int = 0
    """Line of the entry in the manifest."""


@dataclass(frozen=True)
class Manifest:
    """The whole manifest."""

    root: Path
    """The fixtures folder."""
    voices: Mapping[str, Voice]
    """Voice profiles by name."""
    cases: tuple[Fixture, ...]
    """Every case, in file order."""
    known_failures: tuple[KnownFailure, ...] = ()
    """Known failures, in file order."""
    sweep_voices: tuple[str, ...] = ()
    """Voice profiles the generated conditions rotate through (every case is heard in several voices)."""

    def case(self, case_id: str) -> Fixture:
        """The case with this id (KeyError if unknown)."""
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(case_id)

    def tagged(self, tag: str) -> tuple[Fixture, ...]:
        """Cases carrying ``tag``."""
        return tuple(case for case in self.cases if tag in case.tags)

    def known(self, case_id: str, stage: str) -> str | None:
        """The reason if ``case_id`` is a known failure at ``stage``, else None."""
        for failure in self.known_failures:
            if failure.id == case_id and failure.stage == stage:
                return failure.reason
        return None


def load_manifest(path: Path | None = None) -> Manifest:
    """Read ``manifest.yaml``; raises ContentError listing every problem with its line."""
    file = path or FIXTURES_DIR / "manifest.yaml"
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as error:
        raise ContentError([Problem(name, None, "", f"cannot read the manifest: {error.strerror}")]) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ContentError([Problem(name, line, "", f"not valid YAML: {error}")]) from error
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise ContentError(
            [Problem(name, 1, "", "the manifest must be a mapping with voices:, cases:, known_failures:")]
        )
    lines = _item_lines(node)
    problems: list[Problem] = []
    voices = _voices(data.get("voices"), name, problems)
    cases = tuple(_case(item, lines["cases"][i], name, problems) for i, item in enumerate(_list(data, "cases")))
    failures = tuple(
        _failure(item, lines["known_failures"][i], name, problems)
        for i, item in enumerate(_list(data, "known_failures"))
    )
    sweep = tuple(str(name) for name in _list(data, "sweep_voices"))
    for name_ in sweep:
        if name_ not in voices:
            problems.append(Problem(name, None, "sweep_voices", f"unknown voice profile {name_!r}"))
    manifest = Manifest(file.parent, voices, cases, failures, sweep)
    problems += _structure_problems(manifest, name)
    if problems:
        raise ContentError(problems)
    return manifest


def check_manifest(
    manifest: Manifest, topic_ids: Iterable[str], department_ids: Iterable[str], versions: Iterable[str] = VERSIONS
) -> list[Problem]:
    """Problems of a loaded manifest against the content and the files on disk (empty list: all good)."""
    topics, departments = set(topic_ids), set(department_ids)
    name = str(manifest.root / "manifest.yaml")
    problems: list[Problem] = []
    for case in manifest.cases:
        where = f"cases.{case.id}"
        if case.expect.topic is not None and case.expect.topic not in topics:
            problems.append(Problem(name, case.line, f"{where}.expect.topic", f"unknown topic {case.expect.topic!r}"))
        if case.expect.department is not None and case.expect.department not in departments:
            message = f"unknown department {case.expect.department!r}"
            problems.append(Problem(name, case.line, f"{where}.expect.department", message))
        for version in versions:
            if not case.path(version, manifest.root).is_file():
                message = f"missing {case.path(version, manifest.root)}: run python audio_fixtures/generate.py"
                problems.append(Problem(name, case.line, where, message))
    return problems


# --- parsing helpers ---------------------------------------------------------------------------------


def _item_lines(node: yaml.MappingNode) -> dict[str, list[int]]:
    lines: dict[str, list[int]] = {"cases": [], "known_failures": []}
    for key, value in node.value:
        if key.value in lines and isinstance(value, yaml.SequenceNode):
            lines[key.value] = [item.start_mark.line + 1 for item in value.value]
    return lines


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    return value if isinstance(value, list) else []


def _voices(raw: Any, name: str, problems: list[Problem]) -> dict[str, Voice]:
    voices: dict[str, Voice] = {}
    if not isinstance(raw, dict):
        problems.append(Problem(name, None, "voices", "voices: must map profile names to {voice, speed, pitch}"))
        return voices
    for key, value in raw.items():
        try:
            voices[str(key)] = Voice(str(value["voice"]), int(value.get("speed", 150)), int(value.get("pitch", 50)))
        except (TypeError, KeyError, ValueError):
            problems.append(Problem(name, None, f"voices.{key}", "needs voice: (e.g. de+m3), speed: and pitch:"))
    return voices


def _case(item: Any, line: int, name: str, problems: list[Problem]) -> Fixture:
    if not isinstance(item, dict) or not item.get("id"):
        problems.append(Problem(name, line, "cases", "every case needs an id: and expect:"))
        return Fixture("", "speech", "", "", Expected("reprompt"), line=line)
    case_id = str(item["id"])
    raw = item.get("expect")
    expect_raw: dict[str, Any] = raw if isinstance(raw, dict) else {}
    action = str(expect_raw.get("action", ""))
    if action not in ACTIONS:
        message = f"expect.action must be one of {', '.join(ACTIONS)}, not {action!r}"
        problems.append(Problem(name, line, f"cases.{case_id}.expect.action", message))
    topic, department = expect_raw.get("topic"), expect_raw.get("department")
    expect = Expected(action, None if topic is None else str(topic), None if department is None else str(department))
    kind = str(item.get("kind", "speech"))
    if kind not in KINDS:
        problems.append(Problem(name, line, f"cases.{case_id}.kind", f"kind must be one of {', '.join(KINDS)}"))
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        message = 'tags must be a list of words; quote "yes" and "no" (YAML reads them as true/false)'
        problems.append(Problem(name, line, f"cases.{case_id}.tags", message))
    return Fixture(
        id=case_id,
        kind=kind,
        text=str(item.get("text", "")),
        voice=str(item.get("voice", "")),
        expect=expect,
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
        seconds=float(item.get("seconds", 0.0)),
        seed=int(item.get("seed", 0)),
        level_dbfs=float(item.get("level_dbfs", -35.0)),
        noise=str(item.get("noise", "white")),
        line=line,
    )


def _failure(item: Any, line: int, name: str, problems: list[Problem]) -> KnownFailure:
    if not isinstance(item, dict):
        problems.append(Problem(name, line, "known_failures", "each known failure needs id:, stage:, reason:"))
        return KnownFailure("", "text", "", line)
    reason = str(item.get("reason", "")).strip()
    failure = KnownFailure(str(item.get("id", "")), str(item.get("stage", "")), reason, line)
    if failure.stage not in STAGES:
        message = f"stage must be one of {', '.join(STAGES)}, not {failure.stage!r}"
        problems.append(Problem(name, line, f"known_failures.{failure.id}.stage", message))
    if not failure.reason:
        problems.append(Problem(name, line, f"known_failures.{failure.id}.reason", "say why it fails"))
    return failure


def _structure_problems(manifest: Manifest, name: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for case in manifest.cases:
        where = f"cases.{case.id}"
        if case.id in seen:
            problems.append(Problem(name, case.line, where, "duplicate id"))
        seen.add(case.id)
        if case.kind == "speech" and not case.text.strip():
            problems.append(Problem(name, case.line, f"{where}.text", "a speech case needs text:"))
        if case.kind == "speech" and case.voice not in manifest.voices:
            problems.append(Problem(name, case.line, f"{where}.voice", f"unknown voice profile {case.voice!r}"))
        if case.kind != "speech" and case.seconds <= 0:
            problems.append(Problem(name, case.line, f"{where}.seconds", "silence/noise needs seconds: > 0"))
    for failure in manifest.known_failures:
        if failure.id not in seen:
            problems.append(Problem(name, failure.line, f"known_failures.{failure.id}", "no case with this id"))
    return problems


def known_failures_yaml(failures: Iterable[KnownFailure]) -> str:
    """The ``known_failures:`` section for a list of failures (one flow mapping per line)."""
    lines = ["known_failures:"]
    for failure in failures:
        reason = failure.reason.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  - {{id: {failure.id}, stage: {failure.stage}, reason: "{reason}"}}')
    if len(lines) == 1:
        lines[0] += " []"
    return "\n".join(lines) + "\n"


def replace_known_failures(manifest_text: str, failures: Iterable[KnownFailure]) -> str:
    """The manifest text with its ``known_failures:`` section (the last top-level key) replaced."""
    marker = "\nknown_failures:"
    head = manifest_text[: manifest_text.index(marker) + 1] if marker in manifest_text else manifest_text + "\n"
    return head + known_failures_yaml(failures)
