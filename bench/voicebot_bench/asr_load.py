"""Per-utterance decode time of a recogniser that decodes at the end (Whisper) when several calls decode at once.

``measure_parallel(transcriber, clips, parallel)`` lets ``parallel`` threads (the calls) each decode every
clip once, starting at different clips, all at the same moment, and times each decode from ``finish()``
until the transcript is there: waiting for a free decoder slot included, since that is what a caller hears
as the turn gap. Only clips of caller-question length are used (``QUESTION_S``).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence
from typing import Any

from voicebot.audio import resample
from voicebot.ports import Transcriber

QUESTION_S = (1.0, 6.5)
"""Clip lengths (seconds) counted as a caller's question."""
FEED_BYTES = 640
"""20 ms of 16 kHz PCM per ``accept`` (as a call feeds it)."""


def question_clips(clips: Sequence[tuple[str, bytes, str]]) -> list[tuple[str, bytes, str]]:
    """The clips (16 kHz PCM) whose length lies in ``QUESTION_S``."""
    low, high = QUESTION_S
    return [clip for clip in clips if low <= len(clip[1]) / 32000 <= high]


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_parallel(
    transcriber: Transcriber, clips: Sequence[tuple[str, bytes, str]], parallel: int
) -> dict[str, Any]:
    """Decode-time percentiles (milliseconds) with ``parallel`` simultaneous decoders; ``n`` decodes in all."""
    pcms = [resample(pcm, 16000, transcriber.sample_rate) for _name, pcm, _text in clips]
    times: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(parallel)
    errors: list[str] = []

    def caller(index: int) -> None:
        start.wait()
        for step in range(len(pcms)):
            pcm = pcms[(index * len(pcms) // parallel + step) % len(pcms)]
            session = transcriber.open_session()
            for offset in range(0, len(pcm), FEED_BYTES):
                session.accept(pcm[offset : offset + FEED_BYTES])
            began = time.perf_counter()
            try:
                session.finish()
            except Exception as error:  # a failed decode is reported, not timed
                with lock:
                    errors.append(str(error))
                continue
            with lock:
                times.append((time.perf_counter() - began) * 1000.0)

    threads = [threading.Thread(target=caller, args=(i,), name=f"bench-asr-{i}") for i in range(parallel)]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    return {
        "parallel": parallel,
        "n": len(times),
        "clips": len(pcms),
        "decode_ms_p50": round(statistics.median(times), 1) if times else None,
        "decode_ms_p95": round(_percentile(times, 0.95), 1) if times else None,
        "decode_ms_max": round(max(times), 1) if times else None,
        "utterances_per_s": round(len(times) / wall, 2) if wall > 0 else None,
        "errors": len(errors),
    }
