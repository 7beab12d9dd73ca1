"""A reply's audio for the line, first chunk first.

A text in the speech cache comes out in one piece at once (a memory or file read). A text that is not cached
(a prompt with values known only during the call, e.g. the next opening time) comes out of
``SpeechCache.stream`` sentence by sentence as the synthesiser makes it, so the caller hears the first
sentence while the rest is still being synthesised; the cache keeps the whole text for next time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from voicebot.ports import Speech

PLAYBACK_WAIT_S = 60.0
"""Longest wait for queued speech to be played before a transfer or hang-up (seconds; the longest answer
is ~25 s of speech)."""


def first_chunk(speech: Speech, text: str) -> tuple[Iterator[bytes], bytes | None]:
    """The audio of ``text`` as line-rate PCM chunks, and the first of them (None: no audio at all).

    Streams when the text is not cached; a cached text comes out in one piece from ``render``. Blocks until
    the first chunk exists: run it in a thread.
    """
    if not speech.is_cached(text):
        chunks: Iterator[bytes] = iter(speech.stream(text))
    else:
        chunks = _lazy(speech.render, text)
    return chunks, next(chunks, None)


def _lazy(render: Callable[[str], bytes], text: str) -> Iterator[bytes]:
    """``render(text)`` as a one-piece stream (rendered on the first ``next``)."""
    pcm = render(text)
    if pcm:
        yield pcm


__all__ = ["first_chunk"]
