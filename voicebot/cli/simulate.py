"""``voicebot simulate``: caller audio files or typed turns through the whole pipeline, no phone needed.

Without ``--call`` each WAV file (or ``--say`` text) is the caller's first turn of its own call, through
VAD, ASR, matching, the dialogue policy and TTS; ``--json`` prints one object per line and file:
``{"file", "transcript", "text", "topic", "department", "action", "score", "alternatives", "reply_wav"}``
(the decision exactly as ``voicebot match`` gives it for the transcript; ``reply_wav`` is the bot's
reply after the greeting). With ``--call`` all turns make one call, printed turn by turn.
Turns run in this order: the positional files, then ``--say``/``--wav``/``--dtmf``/``--pause`` as given.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from voicebot.audio import write_wav
from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot.errors import VoicebotError

DEFAULT_OUT = "var/simulate"
"""Where reply audio goes unless ``--out`` says otherwise (relative to the configuration file)."""


class _TurnAction(argparse.Action):
    """Collects ``--say``/``--wav``/``--dtmf``/``--pause`` into one ordered list of (kind, value)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        turns = list(getattr(namespace, "turns", None) or [])
        turns.append((self.metavar, str(values)))
        namespace.turns = turns


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicebot simulate``."""
    parser.add_argument("files", nargs="*", help="caller WAV files (any rate; 8 kHz A-law telephone audio too)")
    parser.add_argument("--say", action=_TurnAction, metavar="say", help="a typed caller turn (skips VAD and ASR)")
    parser.add_argument("--wav", action=_TurnAction, metavar="wav", help="a caller WAV file as a turn")
    parser.add_argument("--dtmf", action=_TurnAction, metavar="dtmf", help="keypad digits as a turn, e.g. 0 or 08381#")
    parser.add_argument("--pause", action=_TurnAction, metavar="pause", help="the caller is silent this long (ms)")
    parser.add_argument("--call", action="store_true", help="all turns make ONE call (printed turn by turn)")
    parser.add_argument("--json", action="store_true", help="JSON lines for machines")
    parser.add_argument("--out", default=None, help=f"folder for the bot's reply WAVs (default {DEFAULT_OUT})")
    parser.add_argument(
        "--now", default=None, help="local time of the call for opening hours, e.g. 2026-11-24T09:00 (default: now)"
    )
    parser.set_defaults(turns=[])


def run(args: argparse.Namespace) -> int:
    """Run the simulation(s); 0 when every turn could be run, 1 if a file could not be read."""
    settings = load_settings(args.config)
    items: list[tuple[str, str]] = [("wav", name) for name in args.files] + list(args.turns)
    if not items:
        print("voicebot simulate: give WAV files and/or --say TEXT turns (see --help)")
        return 2
    start = _start_time(settings, args.now)
    out = Path(args.out) if args.out else settings.resolve(DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    from voicebot.call.bot import Bot

    bot = Bot.from_settings(settings)
    if args.call:
        return asyncio.run(_one_call(bot, items, start, out, args.json))
    return asyncio.run(_first_turns(bot, items, start, out, args.json))


def _start_time(settings: Settings, text: str | None) -> dt.datetime:
    zone = ZoneInfo(settings.timezone)
    if not text:
        return dt.datetime.now(zone)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise VoicebotError(f"--now {text!r} is not a time like 2026-11-24T09:00") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _turn(kind: str, value: str, line_rate: int) -> Any:
    from voicebot.call.simulate import Turn

    if kind == "wav":
        return Turn.wav(value, line_rate)
    if kind == "say":
        return Turn.say(value)
    if kind == "dtmf":
        if not re.fullmatch(r"[0-9*#]+", value):
            raise VoicebotError(f"--dtmf {value!r}: use the keys 0-9, * and #")
        return Turn.keys(value)
    try:
        return Turn.pause(int(value))
    except ValueError as error:
        raise VoicebotError(f"--pause {value!r}: give milliseconds, e.g. 8000") from error


async def _first_turns(bot: Any, items: list[tuple[str, str]], start: dt.datetime, out: Path, as_json: bool) -> int:
    from voicebot.call.simulate import simulate_call
    from voicebot.cli.match import as_json as decision_json
    from voicebot.dialogue.decide import first_decision

    status = 0
    rate = bot.settings.audio.line_rate
    for index, (kind, value) in enumerate(items):
        name = value if kind == "wav" else None
        try:
            turn = _turn(kind, value, rate)
        except VoicebotError as error:
            status = 1
            print(
                json.dumps({"file": name, "error": str(error)}, ensure_ascii=False) if as_json else f"{value}: {error}"
            )
            continue
        result = await simulate_call(bot, [turn], start=start, call_id=f"sim-{index + 1}")
        transcript, understanding = result.heard[0] if result.heard else ("", bot.matcher.understand(""))
        decision = first_decision(understanding, bot.content_for(understanding.language), bot.settings.dialogue)
        reply = out / f"{index + 1:02d}-{_stem(kind, value)}.reply.wav"
        write_wav(reply, result.reply_audio(), rate)
        record = {
            "file": name,
            "transcript": transcript,
            **decision_json(transcript, decision, understanding.language),
            "reply_wav": str(reply),
        }
        if as_json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            said = " | ".join(t.reply for t in result.turns[1:] if t.reply)
            print(
                f"{value}\n  heard:    «{transcript}»\n  decision: {decision.action} {decision.topic or '-'}"
                f" → {decision.department or '-'} ({decision.score:.2f})\n  bot:      {said}\n  audio:    {reply}"
            )
    return status


async def _one_call(bot: Any, items: list[tuple[str, str]], start: dt.datetime, out: Path, as_json: bool) -> int:
    from voicebot.call.simulate import simulate_call

    rate = bot.settings.audio.line_rate
    turns = [_turn(kind, value, rate) for kind, value in items]
    result = await simulate_call(bot, turns, start=start, call_id="sim-call")
    reply = out / "call.reply.wav"
    write_wav(reply, result.channel.bot_audio(), rate)
    for record in result.turns:
        if as_json:
            data = dataclasses.asdict(record)
            data["at"] = record.at.isoformat()
            print(json.dumps(data, ensure_ascii=False), flush=True)
            continue
        caller = f"«{record.transcript}»" if record.transcript else (f"[{record.dtmf}]" if record.dtmf else "")
        target = "/".join(x for x in (record.topic, record.department) if x)
        print(f"{record.index:>2} caller: {caller:<40} {record.action} {target}".rstrip())
        if record.reply:
            print(f"   bot:    {record.reply}")
    outcome = result.outcome
    summary = {
        "outcome": outcome.outcome,
        "department": outcome.department,
        "topic": outcome.topic,
        "reason": outcome.reason,
        "transfers": result.channel.transfers,
        "audio": str(reply),
        "language": result.extra.get("language", bot.content.language),
    }
    print(json.dumps(summary, ensure_ascii=False) if as_json else f"outcome: {summary}")
    return 0


def _stem(kind: str, value: str) -> str:
    base = Path(value).stem if kind == "wav" else f"{kind}-{value}"
    return re.sub(r"[^\w.-]+", "_", base)[:60] or kind
