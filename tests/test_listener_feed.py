"""A streaming recogniser is fed beside the frame path, not in it (``voicebot.listen.listener``).

The VAD and the end-of-turn timer must run at the line's pace however busy the recogniser pool is: a frame
never waits for the recogniser, the audio reaches it complete and in order (in batches), and the end of the
turn waits for the last batch before the transcript is taken.
"""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from voicebot.audio import AudioFrame
from voicebot.config.settings import VadSettings
from voicebot.engines.fakes import EnergySpeechDetector, FakeTranscriber
from voicebot.listen.listener import Listener

RATE = 16000
FRAME = RATE // 50


def frames(pattern: str) -> list[AudioFrame]:
    """20 ms frames: ``s`` a loud tone (different every frame, so order shows), ``.`` silence."""
    out = []
    for index, kind in enumerate(pattern):
        t = np.arange(FRAME) + index * FRAME
        pcm = (8000 * np.sin(2 * np.pi * (200 + 5 * index) * t / RATE)) if kind == "s" else np.zeros(FRAME)
        out.append(AudioFrame(pcm.astype("<i2").tobytes(), RATE, index * 20))
    return out


def vad() -> VadSettings:
    return VadSettings(start_ms=60, end_silence_ms=200, preroll_ms=0, tail_drop_db=0, no_input_ms=60000)


async def test_frames_do_not_wait_for_a_slow_recogniser_and_every_sample_arrives_in_order() -> None:
    gate = threading.Event()
    transcriber = FakeTranscriber(["hallo"], sample_rate=RATE, gate=gate)
    listener = Listener(transcriber, EnergySpeechDetector(), vad())
    speech = frames("s" * 30 + "." * 5)
    for frame in speech:  # the recogniser holds its first batch the whole time
        # (before, each frame awaited the recogniser: this would never return)
        _events, utterance = await asyncio.wait_for(listener.frame(frame, bot_speaking=False), 10)
        assert utterance is None
    assert listener.in_utterance and transcriber.accepts == 0
    gate.set()
    utterance = None
    for frame in frames("s" * 35 + "." * 15)[35:]:
        _events, utterance = await listener.frame(frame, bot_speaking=False)
        if utterance is not None:
            break
    assert utterance is not None and utterance.transcript.text == "hallo"
    heard = transcriber.heard[0]
    voiced = b"".join(f.pcm for f in speech[3:30])
    assert voiced in heard  # complete and in order
    assert transcriber.accepts < 40  # batched while the recogniser was busy, not one call per frame
