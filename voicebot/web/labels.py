"""German words for every internal code the call records hold: outcomes, actions, phases, engines, timings.

The one mapping table of the web app. ``tests/test_web_labels.py`` checks that every code the dialogue and the
call session can write (``Note("…")`` actions, ``Phase`` members, timing keys, event names) has a label here,
so a staff page never shows ``greeting``, ``(callback_offer)`` or ``tts_ms``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

OUTCOME_LABELS: Final[Mapping[str, str]] = {
    "answered": "Beantwortet",
    "transferred": "Weitergeleitet",
    "hung_up": "Aufgelegt",
    "callback": "Rückruf gewünscht",
    "failed": "Technischer Fehler",
    "overflow": "Überlauf (alle Leitungen belegt)",
    "worker_died": "Abgebrochen (Bot-Prozess ausgefallen)",
}
"""Call outcomes (``voicebot.records.calls.OUTCOMES``)."""

ACTION_LABELS: Final[Mapping[str, str]] = {
    "greeting": "Begrüßung",
    "answer": "Antwort gegeben",
    "details": "Mehr dazu erzählt",
    "confirm": "Nachgefragt",
    "choose": "Zwei Themen angeboten",
    "reprompt": "Um andere Worte gebeten",
    "transfer": "Weiterleitung angekündigt",
    "transferred": "Weiterverbunden",
    "bridged": "Über den Bot verbunden",
    "transfer_failed": "Weiterleitung gescheitert",
    "repeat": "Wiederholt",
    "goodbye": "Verabschiedet",
    "menu": "Tastenmenü",
    "callback": "Rückruf aufgenommen",
    "no_input": "Keine Eingabe",
    "listen": "Hört zu (weitere Frage?)",
    "ignored": "Nicht beachtet",
    "language": "Sprache gewählt",
    "apology": "Entschuldigung (technischer Fehler)",
    "unknown": "Ohne Entscheidung",
}
"""What the bot did in a turn (``voicebot.dialogue.types.Note.action``)."""

PHASE_LABELS: Final[Mapping[str, str]] = {
    "start": "vor der Begrüßung",
    "listening": "bei der offenen Frage",
    "confirm": "bei der Rückfrage",
    "choose": "bei der Auswahl zwischen zwei Themen",
    "transferring": "während der Weiterleitung",
    "transfer_failed": "nach gescheiterter Weiterleitung",
    "callback_offer": "beim Rückrufangebot",
    "callback_name": "bei der Frage nach dem Namen",
    "callback_number": "bei der Frage nach der Rufnummer",
    "ended": "nach Gesprächsende",
}
"""Where the conversation stood (``voicebot.dialogue.types.Phase``), as it appears in reasons: ``(listening)``."""

EVENT_LABELS: Final[Mapping[str, str]] = {
    "CallStarted": "Anrufbeginn",
    "Heard": "Anrufer sprach",
    "DtmfReceived": "Taste gedrückt",
    "NoInput": "keine Eingabe",
    "TransferDone": "Weiterleitung beendet",
    "TimeUp": "Höchstdauer erreicht",
}
"""Event names that appear in reasons (``Gespräch schon beendet (Heard)``)."""

ENGINE_LABELS: Final[Mapping[str, str]] = {
    "vosk": "Spracherkennung Vosk",
    "whisper": "Spracherkennung Whisper",
    "typed": "eingetippt (Test)",
}
"""Where a transcript came from (``Transcript.engine``)."""

TIMING_LABELS: Final[Mapping[str, str]] = {
    "asr_ms": "Spracherkennung",
    "match_ms": "Verstehen",
    "tts_ms": "Sprachausgabe vorbereitet",
    "gap_ms": "Pause bis zur Antwort",
    "speculative": "Vorab erkannt",
    "speculation_saved_ms": "Durch Vorab-Erkennung gespart",
    "speculations_dropped": "Verworfene Vorab-Erkennungen",
    "asr": "Spracherkennung",
    "match": "Verstehen",
    "gap": "Pause bis zur Antwort",
}
"""The session's measurements of a turn (``TurnInput.timings`` keys)."""

_ENGLISH_REASONS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"caller asked for the language already spoken"), "Anrufer wünschte die schon gesprochene Sprache"),
    (re.compile(r"caller asked for (\w+)"), r"Anrufer wünschte Sprache \1"),
    (re.compile(r"words: ([0-9.]+)"), r"nach den Wörtern: \1"),
    (re.compile(r"identified (\w+) \(([0-9.]+)\)"), r"erkannt: \1 (\2)"),
    (re.compile(r", but the words are (\w+)"), r", die Wörter sind aber \1"),
    (re.compile(r"^(Sprache \w+): keep$"), r"\1: beibehalten"),
    (re.compile(r"^(Sprache \w+): switch$"), r"\1: gewechselt"),
    (re.compile(r"^(Sprache \w+): confirm$"), r"\1: nachgefragt"),
)
_CODE_IN_PARENS: Final = re.compile(r"\((\w+)\)")
_SHARE_IN_PARENS: Final = re.compile(r"\((0?\.\d+|[01]\.\d+)\)")


def outcome_label(value: str | None) -> str:
    """German words for a call outcome (``""``/None: still running)."""
    return OUTCOME_LABELS.get(value or "", value if value else "Läuft noch")


def action_label(action: str | None, department: str = "") -> str:
    """German words for a turn's action; transfers name the department (``Weiterverbunden an Jugendamt``)."""
    text = ACTION_LABELS.get(action or "", action or "")
    if department and action in ("transfer", "transferred", "bridged", "transfer_failed"):
        return {
            "transfer": f"Weiterleitung an {department} angekündigt",
            "transferred": f"Weiterverbunden an {department}",
            "bridged": f"Über den Bot verbunden mit {department}",
            "transfer_failed": f"Weiterleitung an {department} gescheitert",
        }[action]
    return text


def reason_label(reason: str | None) -> str:
    """A stored reason with its codes in German: phases, event names, shares as percent."""
    text = reason or ""
    for pattern, replacement in _ENGLISH_REASONS:
        text = pattern.sub(replacement, text)

    def code(match: re.Match[str]) -> str:
        word = match.group(1)
        label = PHASE_LABELS.get(word) or EVENT_LABELS.get(word)
        return f"({label})" if label else match.group(0)

    text = _CODE_IN_PARENS.sub(code, text)
    text = _SHARE_IN_PARENS.sub(lambda match: f"({round(float(match.group(1)) * 100)} %)", text)
    return text.rstrip(": ").strip()


def engine_label(engine: str | None) -> str:
    """Where a transcript came from, in words (unknown engines as they are)."""
    return ENGINE_LABELS.get(engine or "", engine or "")


def timing_rows(timings: Mapping[str, float]) -> list[tuple[str, str]]:
    """A turn's measurements as (German label, value with unit) rows."""
    rows = []
    for key, value in timings.items():
        label = TIMING_LABELS.get(key, key)
        if key == "speculative":
            rows.append((label, "ja" if value else "nein"))
        elif key.endswith("_ms") or key in ("asr", "match", "gap"):
            rows.append((label, f"{float(value):.0f} ms"))
        else:
            rows.append((label, f"{float(value):g}"))
    return rows


def decision_basis(action: str, topic: str | None, department: str | None, dtmf: str) -> str:
    """What a turn's decision was based on: ``dtmf``, ``department`` (named), ``topic`` (FAQ match) or ``""``."""
    if dtmf:
        return "dtmf"
    if department and not topic and action in ("transfer", "confirm"):
        return "department"
    if topic:
        return "topic"
    return ""


FILTERS: Final[Mapping[str, Callable[..., str]]] = {
    "outcome": outcome_label,
    "action": action_label,
    "reason": reason_label,
    "engine": engine_label,
}
"""Jinja filters of these labels (``{{ turn.action|action }}``)."""

__all__ = [
    "ACTION_LABELS",
    "ENGINE_LABELS",
    "EVENT_LABELS",
    "FILTERS",
    "OUTCOME_LABELS",
    "PHASE_LABELS",
    "TIMING_LABELS",
    "action_label",
    "decision_basis",
    "engine_label",
    "outcome_label",
    "reason_label",
    "timing_rows",
]
