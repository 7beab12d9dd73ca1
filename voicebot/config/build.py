"""Validation of the configuration file: every problem collected, none raised early."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from voicebot.config.calendar import calendar_problem
from voicebot.config.hours import parse_closed_days, parse_weekly_hours
from voicebot.config.settings import DepartmentSettings, Settings
from voicebot.errors import Problem

if typing.TYPE_CHECKING:
    from voicebot.config.settings import Settings


class Locator(Protocol):
    def problem(self, section: str, key: str, message: str) -> Problem: ...


_TOP_LEVEL = {"district", "closed", "departments", "timezone"}

TRANSFER_MODES = ("refer", "bridge", "refer-then-bridge")
"""How a department is reached (``[sip] transfer``, ``[departments.<id>] transfer``)."""


def _networks_ok(values: tuple[str, ...]) -> bool:
    """Every item an IP address or network (``10.0.0.5``, ``10.0.0.0/24``, ``::1``)."""
    try:
        for value in values:
            ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


# (section, field) -> (check, message); the check gets the coerced value.
_RANGES: dict[tuple[str, str], tuple[Callable[[Any], bool], str]] = {
    ("sip", "mode"): (lambda v: v in ("direct", "register"), 'must be "direct" or "register"'),
    ("content", "max_answer_seconds"): (lambda v: 5 <= v <= 120, "must be between 5 and 120 seconds"),
    ("sip", "port"): (lambda v: 1 <= v <= 65535, "must be a UDP port 1..65535"),
    ("sip", "rtp_port"): (lambda v: 1024 <= v <= 65000, "must be a port 1024..65000"),
    ("sip", "max_calls"): (lambda v: v >= 1, "must be at least 1"),
    ("sip", "overflow"): (lambda v: v in ("switchboard", "reject"), 'must be "switchboard" or "reject"'),
    ("sip", "transfer"): (lambda v: v in TRANSFER_MODES, 'must be "refer", "bridge" or "refer-then-bridge"'),
    ("sip", "bridge_answer_seconds"): (lambda v: 5 <= v <= 120, "must be 5..120 seconds"),
    ("sip", "max_call_seconds"): (lambda v: v >= 30, "must be at least 30 seconds"),
    ("sip", "rtp_timeout_seconds"): (lambda v: v == 0 or 5 <= v <= 3600, "must be 0 (off) or 5..3600 seconds"),
    ("sip", "codecs"): (
        lambda v: len(v) > 0 and all(c in ("PCMA", "PCMU", "G722") for c in v),
        'list one or more of "PCMA", "PCMU", "G722"',
    ),
    ("audio", "line_rate"): (lambda v: v in (8000, 16000), "must be 8000 or 16000 (hertz)"),
    ("audio", "frame_ms"): (lambda v: v in (10, 20, 30), "must be 10, 20 or 30 (milliseconds)"),
    ("vad", "aggressiveness"): (lambda v: 0 <= v <= 3, "must be 0, 1, 2 or 3"),
    ("vad", "end_silence_ms"): (lambda v: 100 <= v <= 5000, "must be 100..5000 milliseconds"),
    ("vad", "start_ms"): (lambda v: 20 <= v <= 1000, "must be 20..1000 milliseconds"),
    ("vad", "preroll_ms"): (lambda v: 0 <= v <= 2000, "must be 0..2000 milliseconds"),
    ("vad", "max_utterance_ms"): (lambda v: 2000 <= v <= 120000, "must be 2000..120000 milliseconds"),
    ("vad", "barge_in_ms"): (lambda v: 0 <= v <= 3000, "must be 0..3000 milliseconds"),
    ("vad", "speculate_ms"): (lambda v: 0 <= v <= 5000, "must be 0..5000 milliseconds (0 = off)"),
    ("vad", "tail_drop_db"): (lambda v: 0 <= v <= 90, "must be 0..90 decibels (0 = off)"),
    ("asr", "engines"): (
        lambda v: len(v) > 0 and all(e in ("vosk", "whisper") for e in v),
        'list one or more of "vosk", "whisper"',
    ),
    ("asr", "whisper_margin_s"): (lambda v: 0.0 <= v <= 10.0, "must be 0..10 seconds"),
    ("asr", "whisper_min_window_s"): (lambda v: 1.0 <= v <= 30.0, "must be 1..30 seconds"),
    ("asr", "whisper_threads"): (lambda v: 0 <= v <= 64, "must be 0 (one per core) or 1..64 threads"),
    ("asr", "whisper_workers"): (lambda v: 1 <= v <= 16, "must be 1..16 decodes"),
    ("asr", "rescore_candidates"): (lambda v: 0 <= v <= 200, "must be 0..200 texts (0 = off)"),
    ("asr", "vosk_alternatives"): (lambda v: 0 <= v <= 20, "must be 0..20 readings (0 = one)"),
    ("asr", "other_language_weight"): (lambda v: 0 < v <= 1, "must be above 0 and at most 1 (1 = no preference)"),
    ("tts", "engines"): (
        lambda v: len(v) > 0 and all(e in ("piper", "espeak") for e in v),
        'list one or more of "piper", "espeak"',
    ),
    ("tts", "length_scale"): (lambda v: 0.5 <= v <= 2.0, "must be 0.5..2.0"),
    ("tts", "voices"): (
        lambda v: all(re.fullmatch(r"[a-z]{2,3}=(piper|espeak):\S+", item) for item in v),
        'each must read "language=engine:voice", e.g. "en=piper:pypi:joe-us" or "en=espeak:en"',
    ),
    ("dialogue", "answer_threshold"): (lambda v: 0.0 < v <= 1.0, "must be a score 0..1"),
    ("dialogue", "confirm_threshold"): (lambda v: 0.0 < v <= 1.0, "must be a score 0..1"),
    ("dialogue", "ambiguity_margin"): (lambda v: 0.0 <= v < 0.5, "must be 0..0.5"),
    ("dialogue", "max_questions"): (lambda v: v >= 1, "must be at least 1"),
    ("dialogue", "max_failures"): (lambda v: v >= 1, "must be at least 1"),
    ("records", "retention_days"): (lambda v: v >= 1, "must be at least 1 day"),
    ("web", "port"): (lambda v: 1 <= v <= 65535, "must be a TCP port 1..65535"),
    ("web", "trusted_proxies"): (
        _networks_ok,
        'each must be an IP address or network, e.g. "10.0.0.5" or "10.0.0.0/24"',
    ),
    ("web", "metrics_allow"): (
        _networks_ok,
        'each must be an IP address or network, e.g. "127.0.0.1" or "10.0.0.0/24"',
    ),
}


def _type_name(kind: Any) -> str:
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(
        kind, "a list of strings"
    )


def _coerce(value: Any, kind: Any) -> tuple[bool, Any]:
    """Check a TOML value against a field type (str, int, float, bool, tuple[str, ...])."""
    if kind is bool:
        return isinstance(value, bool), value
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if kind is str:
        return isinstance(value, str), value
    ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return ok, tuple(value) if ok else value


def _build_section(cls: type, name: str, raw: Any, where: Locator, problems: list[Problem]) -> Any:
    if not isinstance(raw, dict):
        problems.append(where.problem(name, "", f"[{name}] must be a table"))
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            problems.append(where.problem(name, key, f"unknown setting; known ones: {', '.join(sorted(known))}"))
            continue
        kind = hints[key]
        ok, coerced = _coerce(value, kind)
        if not ok:
            problems.append(where.problem(name, key, f"must be {_type_name(kind)}, not {value!r}"))
            continue
        check = _RANGES.get((name, key))
        if check is not None and not check[0](coerced):
            problems.append(where.problem(name, key, check[1]))
            continue
        values[key] = coerced
    return cls(**values)


def build_settings(
    data: Mapping[str, Any], path: Path, where: Locator, problems: list[Problem], sections: Mapping[str, type]
) -> Settings | None:
    """Turn parsed TOML into Settings, appending every problem found to ``problems``."""
    for key in data:
        if key not in sections and key not in _TOP_LEVEL:
            problems.append(
                where.problem(key, "", f"unknown section; known: {', '.join(sorted([*sections, *_TOP_LEVEL]))}")
            )
    built = {name: _build_section(cls, name, data.get(name, {}), where, problems) for name, cls in sections.items()}

    district_raw = data.get("district", {})
    district: dict[str, str] = {}
    if not isinstance(district_raw, dict):
        problems.append(where.problem("district", "", "[district] must be a table of texts"))
    else:
        for key, value in district_raw.items():
            if isinstance(value, str | int) and not isinstance(value, bool):
                district[key] = str(value)
            else:
                problems.append(where.problem("district", key, "must be a text"))
        if "name" not in district:
            problems.append(
                where.problem(
                    "district", "name", 'missing: the district\'s spoken name, e.g. "Landratsamt Musterkreis"'
                )
            )

    closed, bad_days = parse_closed_days(data.get("closed", []) if isinstance(data.get("closed", []), list) else [])
    problems.extend(where.problem("closed", "", message) for message in bad_days)

    departments: dict[str, DepartmentSettings] = {}
    raw_departments = data.get("departments", {})
    if not isinstance(raw_departments, dict) or not raw_departments:
        problems.append(where.problem("departments", "", "add one [departments.<id>] table per department"))
        raw_departments = {}
    for dep_id, raw in raw_departments.items():
        section = f"departments.{dep_id}"
        if not isinstance(raw, dict):
            problems.append(where.problem(section, "", "must be a table with target and hours"))
            continue
        unknown = set(raw) - {"target", "hours", "closed", "transfer"}
        problems.extend(
            where.problem(section, key, "unknown setting; use target, hours, closed, transfer")
            for key in sorted(unknown)
        )
        transfer = raw.get("transfer", "")
        if transfer != "" and transfer not in TRANSFER_MODES:
            problems.append(where.problem(section, "transfer", 'must be "refer", "bridge" or "refer-then-bridge"'))
        target = raw.get("target")
        if not isinstance(target, str) or not target.startswith("sip:"):
            problems.append(where.problem(section, "target", 'must be a SIP URI such as "sip:zulassung@pbx.example"'))
            continue
        hours_raw = raw.get("hours", {})
        if not isinstance(hours_raw, dict):
            problems.append(where.problem(section, "hours", 'must be a table like { mon = "08:00-12:00" }'))
            continue
        hours, hour_problems = parse_weekly_hours(hours_raw)
        problems.extend(where.problem(section, "hours", f"{day}: {message}") for day, message in hour_problems)
        dep_closed, dep_bad = parse_closed_days(
            raw.get("closed", []) if isinstance(raw.get("closed", []), list) else []
        )
        problems.extend(where.problem(section, "closed", message) for message in dep_bad)
        if hours is not None:
            departments[dep_id] = DepartmentSettings(
                target=target, hours=hours, closed=dep_closed, transfer=str(transfer) if transfer else ""
            )

    dialogue = built["dialogue"]
    if dialogue.confirm_threshold > dialogue.answer_threshold:
        problems.append(where.problem("dialogue", "confirm_threshold", "must not be above answer_threshold"))
    calendar = built["calendar"]
    if calendar.country:
        trouble = calendar_problem(calendar.country, calendar.state, calendar.categories)
        if trouble is not None:
            problems.append(where.problem("calendar", "state", trouble))
    timezone = data.get("timezone", "Europe/Berlin")
    if not isinstance(timezone, str):
        problems.append(where.problem("timezone", "", 'must be a time zone name like "Europe/Berlin"'))
        timezone = "Europe/Berlin"
    if problems:
        return None
    return Settings(path=path, district=district, closed=closed, departments=departments, timezone=timezone, **built)
