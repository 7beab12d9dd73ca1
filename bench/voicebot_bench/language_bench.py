"""``voicebot bench language``: what a caller's language costs — identification per turn, the English turn gap.

Both parts run the real engines in this process (Whisper base as configured, espeak-ng German, piper
``joe-us`` English), on caller audio through an 8 kHz A-law line:

1. **identification cost per turn**: each of n German and n English utterances is decoded with its language
   given (``decode(pcm, "de"/"en")``) and identified (``decode(pcm, None)``, what a call's first utterance
   gets); the difference is what identification adds to a turn. The identification alone on the utterance's
   short-window encoder output (``ranked_languages``, what the bot does now) and the former separate 30-s
   encoder pass (``WhisperTranscriber.identify``) are timed beside it.
2. **turn gap**: whole simulated calls (the real session: VAD, end of turn, Whisper, matcher, dialogue, speech
   cache) with one question; the gap of the answering turn (end of the caller's speech to the first reply
   audio). German questions on a bot that does not identify languages (Whisper fixed to German) and on the
   multilingual bot, English questions on the multilingual bot. Each call runs twice, the second is measured
   (the first renders a reply that is not in the speech cache yet, as the bot's start-up pre-rendering would).

The German questions are the committed 8 kHz A-law fixtures; the English ones are spoken by espeak-ng
English voices and narrowed to 8 kHz A-law here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from voicebot.audio import alaw_wav_bytes, read_wav, resample
from voicebot.config.settings import Settings
from voicebot_bench import report
from voicebot_bench.fixtures import FIXTURES_DIR

GERMAN = (
    "q-kfz-anmeldung-1",
    "q-oeffnungszeiten-2",
    "q-wunschkennzeichen-1",
    "q-fuehrerschein-verloren-1",
    "q-wohnsitz-ummelden-1",
    "q-kurzzeitkennzeichen-1",
)
"""German question fixtures (``audio_fixtures/8k_alaw``)."""
ENGLISH = (
    ("en-us", "How do I register my new car?"),
    ("en", "What are your opening hours?"),
    ("en+m3", "My residence permit expires soon. How can I extend it?"),
    ("en-us", "I lost my driving licence. What do I do now?"),
    ("en", "When is the bulky waste collected?"),
    ("en-us", "Where can I park when I visit you?"),
)
"""English questions (espeak-ng voice, text)."""


@dataclass(frozen=True)
class LanguageOptions:
    """How much to measure."""

    n: int = 6
    """Utterances per language (at most the lists above)."""
    gaps: bool = True
    """Also the simulated calls' turn gaps."""


def _english(voice: str, text: str) -> bytes:
    """``text`` by espeak-ng ``voice`` through an 8 kHz A-law line, as 8 kHz PCM."""
    from voicebot.engines.espeak_tts import EspeakSynthesizer

    frames = list(EspeakSynthesizer(voice, 140).synthesize(text))
    narrow = resample(b"".join(f.pcm for f in frames), frames[0].rate, 8000)
    pcm, rate = read_wav(alaw_wav_bytes(narrow))
    return resample(pcm, rate, 8000)


def _german(case: str) -> bytes:
    pcm, rate = read_wav(FIXTURES_DIR / "8k_alaw" / f"{case}.wav")
    return resample(pcm, rate, 8000)


def utterances(n: int) -> list[tuple[str, str, bytes]]:
    """(language, label, 8 kHz PCM) for n German and n English questions."""
    german = [("de", case, _german(case)) for case in GERMAN[:n]]
    english = [("en", text, _english(voice, text)) for voice, text in ENGLISH[:n]]
    return german + english


def _summary(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "mean_ms": round(statistics.fmean(values), 1),
        "p50_ms": round(statistics.median(values), 1),
        "max_ms": round(max(values), 1),
    }


def identification_cost(whisper: Any, clips: Sequence[tuple[str, str, bytes]]) -> dict[str, Any]:
    """Per clip: decode with the language given and identified, identification alone (short window, 30 s)."""
    from voicebot.engines.whisper_decode import encode_window, ranked_languages

    rows: dict[str, list[float]] = {"given": [], "identified": [], "short_window": [], "full_window": []}
    right = 0
    for language, _label, pcm8 in clips:
        pcm = resample(pcm8, 8000, whisper.sample_rate)
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        given = whisper.decode(pcm, language)
        identified = whisper.decode(pcm, None)
        right += identified.language == language
        rows["given"].append(given.decode_ms)
        rows["identified"].append(identified.decode_ms)
        encoded = encode_window(whisper.model, audio, margin_s=whisper.margin_s, min_window_s=whisper.min_window_s)
        started = time.perf_counter()
        whisper.among(ranked_languages(whisper.model, encoded))
        rows["short_window"].append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        whisper.identify(audio)
        rows["full_window"].append(1000 * (time.perf_counter() - started))
    added = [b - a for a, b in zip(rows["given"], rows["identified"], strict=True)]
    return {
        **{name: _summary(values) for name, values in rows.items()},
        "added_by_identification": _summary(added),
        "identified_right": right,
        "n": len(clips),
    }


async def _gap(bot: Any, pcm8: bytes, line_rate: int, start: dt.datetime) -> tuple[float, str, str]:
    from voicebot.call.simulate import Turn, simulate_call

    audio = resample(pcm8, 8000, line_rate)
    result = await simulate_call(bot, [Turn("audio", pcm=audio, label="question")], start=start)
    answering = next((turn for turn in result.turns[1:] if "gap_ms" in turn.timings_ms), None)
    if answering is None:
        return float("nan"), "", str(result.extra.get("language", ""))
    return answering.timings_ms["gap_ms"], answering.action, str(result.extra.get("language", ""))


def turn_gaps(
    settings: Settings, whisper: Any, clips: Sequence[tuple[str, str, bytes]], log: Callable[[str], None]
) -> dict[str, Any]:
    """Turn gaps of one-question calls: German without identification, German and English with it."""
    from voicebot.call.bot import Bot

    multilingual = Bot.from_settings(settings, transcriber=whisper)
    german_only = Bot.from_settings(settings, transcriber=whisper.for_language("de"))
    start = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(settings.timezone))
    groups: dict[str, list[float]] = {"de_without_identification": [], "de_identified": [], "en_identified": []}
    languages: dict[str, list[str]] = {name: [] for name in groups}
    plan = [("de_without_identification", german_only, "de"), ("de_identified", multilingual, "de")]
    plan.append(("en_identified", multilingual, "en"))
    for name, bot, language in plan:
        for clip_language, label, pcm8 in clips:
            if clip_language != language:
                continue
            asyncio.run(_gap(bot, pcm8, settings.audio.line_rate, start))  # renders an uncached reply
            gap, action, heard = asyncio.run(_gap(bot, pcm8, settings.audio.line_rate, start))
            log(f"  {name}: {label[:40]!r}: gap {gap:.0f} ms ({action}, call language {heard})")
            if gap == gap:  # not NaN
                groups[name].append(gap)
            languages[name].append(heard)
    return {name: {**_summary(values), "call_languages": languages[name]} for name, values in groups.items()}


def run_language_bench(
    settings: Settings, options: LanguageOptions, out_dir: Path, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Measure, print the tables, return the JSON document (``ratios`` for the comparison with before)."""
    from voicebot.engines import load_transcriber
    from voicebot.engines.whisper_asr import WhisperTranscriber

    whisper = load_transcriber(settings, ["whisper"])
    if not isinstance(whisper, WhisperTranscriber):
        raise SystemExit("bench language needs Whisper ([asr] whisper_model)")
    clips = utterances(max(1, options.n))
    whisper.decode(resample(clips[0][2], 8000, whisper.sample_rate), None)  # warm-up
    cost = identification_cost(whisper, clips)
    rows = [
        [name, cost[name]["n"], cost[name].get("mean_ms"), cost[name].get("p50_ms"), cost[name].get("max_ms")]
        for name in ("given", "identified", "added_by_identification", "short_window", "full_window")
    ]
    print(f"language identification, {cost['n']} utterances (German and English, 8 kHz A-law line):")
    print(report.table(["what", "n", "mean ms", "p50 ms", "max ms"], rows))
    print(f"identified right: {cost['identified_right']} of {cost['n']}")
    document: dict[str, Any] = {"identification": cost, "ratios": {}}
    added = float(cost["added_by_identification"].get("p50_ms", 0.0))
    given = float(cost["given"].get("p50_ms", 1.0)) or 1.0
    document["ratios"]["identification_added_vs_decode"] = report.ratio(max(0.0, added) / given, "lower")
    if options.gaps:
        gaps = turn_gaps(settings, whisper, clips, log)
        document["turn_gap"] = gaps
        print("turn gap of the answering turn (simulated calls, real engines; second run of each call):")
        print(
            report.table(
                ["calls", "n", "mean ms", "p50 ms", "max ms"],
                [[name, g["n"], g.get("mean_ms"), g.get("p50_ms"), g.get("max_ms")] for name, g in gaps.items()],
            )
        )
        base = float(gaps["de_without_identification"].get("p50_ms", 0.0)) or 1.0
        for name in ("de_identified", "en_identified"):
            if gaps[name]["n"]:
                document["ratios"][f"gap_{name}_vs_de"] = report.ratio(float(gaps[name]["p50_ms"]) / base, "lower")
    return document


__all__ = ["ENGLISH", "GERMAN", "LanguageOptions", "identification_cost", "run_language_bench", "turn_gaps"]
