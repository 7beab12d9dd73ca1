"""``voicebot transcribe FILE.wav …``: recognise WAV files with the configured (or a chosen) ASR engine."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

from voicebot.audio import read_wav, resample
from voicebot.config.load import load_settings
from voicebot.engines import ASR_ENGINES, load_transcriber
from voicebot.errors import VoicebotError
from voicebot.ports import Transcriber, Transcript

FEED_MS = 20
"""Audio is fed in 20 ms pieces, as it would arrive from a call (vosk decodes while it is fed)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Files, engine choice, output format."""
    parser.add_argument("files", nargs="+", metavar="FILE.wav", help="WAV files: any rate, PCM or G.711 A-law/mu-law")
    parser.add_argument("--engine", choices=ASR_ENGINES, help="use this engine instead of the [asr] engines list")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.add_argument("--partials", action="store_true", help="also print partial results while decoding")
    parser.add_argument(
        "--language",
        default="",
        help="recognise in this language (ISO code, e.g. en; 'auto': identify it first); Whisper only",
    )
    parser.add_argument(
        "--grammar", action="store_true", help="restrict vosk to the FAQ phrases (as with [asr] vosk_grammar = true)"
    )


def transcribe_pcm(
    transcriber: Transcriber, pcm: bytes, rate: int, phrases: Sequence[str] | None = None
) -> tuple[Transcript, list[str], float]:
    """Feed PCM (any rate) in 20 ms pieces and finish; returns transcript, partials and processing seconds."""
    audio = resample(pcm, rate, transcriber.sample_rate)
    step = transcriber.sample_rate * FEED_MS // 1000 * 2
    started = time.perf_counter()
    session = transcriber.open_session(phrases)
    partials = [p for i in range(0, len(audio), step) if (p := session.accept(audio[i : i + step])) is not None]
    transcript = session.finish()
    return transcript, partials, time.perf_counter() - started


def run(args: argparse.Namespace) -> int:
    """Print each file's transcript with engine and timing."""
    settings = load_settings(args.config)
    transcriber = load_transcriber(settings, [args.engine] if args.engine else None)
    if args.language:
        choose = getattr(transcriber, "for_language", None)
        if choose is None:
            raise VoicebotError(f"--language: the {transcriber.name} engine recognises one language only")
        transcriber = choose(None if args.language == "auto" else args.language)
    phrases: list[str] | None = None
    if args.grammar:
        from voicebot.content.load import load_content
        from voicebot.listen.grammar import phrases as faq_phrases

        phrases = faq_phrases(load_content(settings))
    for name in args.files:
        pcm, rate = read_wav(name)
        transcript, partials, seconds = transcribe_pcm(transcriber, pcm, rate, phrases)
        audio_seconds = len(pcm) / 2 / rate
        if args.json:
            record = {
                "file": name,
                "text": transcript.text,
                "engine": transcript.engine or transcriber.name,
                "confidence": round(transcript.confidence, 3),
                "language": transcript.language,
                "decode_ms": round(transcript.decode_ms, 1),
                "processing_ms": round(seconds * 1000, 1),
                "audio_seconds": round(audio_seconds, 3),
                "rtf": round(seconds / audio_seconds, 4) if audio_seconds else None,
            }
            if args.partials:
                record["partials"] = partials
            print(json.dumps(record, ensure_ascii=False))
            continue
        if args.partials:
            for partial in partials:
                print(f"  … {partial}")
        print(transcript.text)
        print(
            f"  [{name}: {transcriber.name}, {audio_seconds:.1f} s audio at {rate} Hz, "
            f"processing {seconds * 1000:.0f} ms (final decode {transcript.decode_ms:.0f} ms), "
            f"RTF {seconds / audio_seconds if audio_seconds else 0:.3f}, confidence {transcript.confidence:.2f}]"
        )
    return 0
