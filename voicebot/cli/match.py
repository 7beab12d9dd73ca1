"""``voicebot match``: what the bot would do with a typed sentence as the caller's first words.

Prints the decision of ``voicebot.dialogue.decide.first_decision`` (opening hours aside). With ``--json``
exactly ``{"text", "topic", "department", "action", "score", "alternatives", "language"}``, ``alternatives`` a
list of ``{"topic", "score"}``, scores rounded to three decimals, ``language`` the ISO code of the content the
sentence was matched in: ``--language``, else guessed from its words (``voicebot.language.detect``; German
when the words do not tell).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from voicebot.config.load import load_settings
from voicebot.dialogue.decide import Decision, first_decision
from voicebot.understand.matcher import Matcher
from voicebot.understand.understanding import Understanding


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicebot match``."""
    parser.add_argument("--json", action="store_true", help="print one JSON object (for scripts and tests)")
    parser.add_argument("--explain", action="store_true", help="also print the normalised text and signals")
    parser.add_argument("--language", default="", help="match in this language (ISO code, e.g. en); default: guessed")
    parser.add_argument("text", nargs="+", help="the caller's sentence (several words are joined)")


def as_json(text: str, decision: Decision, language: str = "de") -> dict[str, Any]:
    """The machine-readable result: text, topic, department, action, score, alternatives, language."""
    return {
        "text": text,
        "topic": decision.topic,
        "department": decision.department,
        "action": decision.action,
        "score": round(decision.score, 3),
        "alternatives": [{"topic": topic, "score": round(score, 3)} for topic, score in decision.alternatives],
        "language": language,
    }


def describe(text: str, decision: Decision, understanding: Understanding) -> str:
    """One readable line (German reason, English field names)."""
    target = decision.topic or "-"
    if decision.department:
        target += f" → {decision.department}"
    others = ", ".join(f"{topic} {score:.2f}" for topic, score in decision.alternatives) or "-"
    method = understanding.best.method if understanding.best else "-"
    return (
        f"{decision.action:<9} {target}  score {decision.score:.2f} ({method})  "
        f"[{decision.reason}]  alternatives: {others}  «{text}»"
    )


def run(args: argparse.Namespace) -> int:
    """Match the sentence and print the decision; 0 on success."""
    from voicebot.content.languages import load_languages
    from voicebot.content.load import load_content
    from voicebot.errors import VoicebotError
    from voicebot.language.detect import guess_language

    settings = load_settings(args.config)
    contents = load_languages(settings, load_content(settings))
    text = " ".join(args.text)
    language = args.language or guess_language(text).language or "de"
    if language not in contents:
        raise VoicebotError(f"--language {language}: no content in that language (have: {', '.join(contents)})")
    content = contents[language]
    matcher = Matcher(content)
    understanding = matcher.understand(text)
    decision = first_decision(understanding, content, settings.dialogue)
    if args.json:
        print(json.dumps(as_json(text, decision, language), ensure_ascii=False))
    else:
        print(describe(text, decision, understanding))
    if args.explain:
        signals = ", ".join(sorted(signal.value for signal in understanding.signals)) or "-"
        print(f"normalised: {understanding.normalized}")
        print(f"department: {understanding.department or '-'}  signals: {signals}")
        for candidate in understanding.candidates:
            print(f"  {candidate.topic:<28} {candidate.score:.3f} {candidate.method}")
    return 0
