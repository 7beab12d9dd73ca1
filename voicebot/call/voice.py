"""The bot's voice on one call: a reply text's audio queued on the line as soon as it exists.

A cached text is queued at once; an uncached one chunk by chunk as the synthesiser produces it
(``voicebot.speak.stream.first_chunk``), in a thread pool. The turn notes when its first audio was queued
(time to first audio and the turn gap).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from typing import Final

from voicebot.call.turns import TurnInput
from voicebot.ports import CallChannel, Speech
from voicebot.speak.stream import first_chunk

_LOGGER: Final = logging.getLogger("voicebot.call.session")


async def speak(
    channel: CallChannel, speech: Speech, text: str, turn: TurnInput, hung_up: Callable[[], bool]
) -> tuple[bool, bool]:
    """Queue ``text``'s audio on ``channel`` until it is all queued or ``hung_up()``; (played and the caller is
    still there, the synthesiser failed — logged)."""
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    chunks: Iterator[bytes] = iter(())
    pcm: bytes | None = None
    played = failed = False
    try:
        chunks, pcm = await loop.run_in_executor(None, first_chunk, speech, text)
        while pcm is not None and not hung_up():
            if not played:
                note_first_audio(turn, started)
            channel.play(pcm)
            played = True
            pcm = await loop.run_in_executor(None, next, chunks, None)
    except Exception:
        failed = True
        _LOGGER.exception("call %s: speech synthesis failed for %r", channel.call_id, text[:60])
    finally:
        close = getattr(chunks, "close", None)
        if pcm is not None and callable(close):  # stopped early (hang-up, error): end the synthesiser
            await loop.run_in_executor(None, close)
    return played and not hung_up(), failed


def note_first_audio(turn: TurnInput, started: float) -> None:
    """Note when the turn's first reply audio was queued (time to first audio and the turn gap)."""
    if "tts_ms" in turn.timings:
        return
    now = time.perf_counter()
    turn.timings["tts_ms"] = round(1000 * (now - started), 1)
    if turn.detected_at is not None:
        turn.timings["gap_ms"] = round(turn.endpoint_ms + 1000 * (now - turn.detected_at), 1)


__all__ = ["note_first_audio", "speak"]
