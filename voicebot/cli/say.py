"""``voicebot say "TEXT" -o out.wav``: speak a text with the configured (or a chosen) TTS engine."""

from __future__ import annotations

import argparse
import sys
import time

from voicebot.audio import alaw_wav_bytes, resample, write_wav
from voicebot.config.load import load_settings
from voicebot.engines import TTS_ENGINES, load_synthesizer
from voicebot.speak.spoken import speakable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Text, output file, engine, rate."""
    parser.add_argument("text", help="German text; times, dates, phone numbers and abbreviations are spoken properly")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.wav", help="WAV file to write")
    parser.add_argument("--engine", choices=TTS_ENGINES, help="use this engine instead of the [tts] engines list")
    parser.add_argument("--rate", type=int, default=0, help="sample rate of the file (default: the engine's own)")
    parser.add_argument("--alaw", action="store_true", help="write 8 kHz G.711 A-law, as a telephone line carries it")
    parser.add_argument("--raw", action="store_true", help="pass the text as it is (no speech normalisation)")


def run(args: argparse.Namespace) -> int:
    """Synthesise and write the WAV; report engine, length and time to first audio on stderr."""
    settings = load_settings(args.config)
    synth = load_synthesizer(settings, [args.engine] if args.engine else None)
    text = args.text if args.raw else speakable(args.text)
    if text != args.text:
        print(f"spoken as: {text}", file=sys.stderr)
    started = time.perf_counter()
    first: float | None = None
    parts: list[bytes] = []
    native = synth.sample_rate
    for frame in synth.synthesize(text):
        if first is None:
            first = time.perf_counter() - started
        native = frame.rate
        parts.append(frame.pcm)
    elapsed = time.perf_counter() - started
    pcm = b"".join(parts)
    if args.alaw:
        data = resample(pcm, native, 8000)
        with open(args.output, "wb") as handle:
            handle.write(alaw_wav_bytes(data))
        rate = 8000
    else:
        rate = args.rate or native
        write_wav(args.output, resample(pcm, native, rate), rate)
    seconds = len(pcm) / 2 / native if native else 0.0
    print(
        f"{args.output}: {seconds:.2f} s at {rate} Hz by {synth.name}; synthesis {elapsed * 1000:.0f} ms "
        f"(RTF {elapsed / seconds if seconds else 0:.3f}), first audio after {(first or 0) * 1000:.0f} ms",
        file=sys.stderr,
    )
    return 0
