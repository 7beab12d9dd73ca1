"""A phone call without a phone: ``FileChannel`` plays scripted caller turns into a real ``CallSession``.

The channel runs on media time, not wall time: each ``receive`` hands out the next 20 ms frame, and the
bot's queued audio drains by 20 ms per frame handed out, so a two-minute call replays in a moment while
end-of-turn silence, barge-in and no-input behave as on a line. A caller turn is a WAV file (any rate and
format ``voicebot.audio.read_wav`` reads, incl. 8 kHz A-law), a typed sentence (skips VAD and ASR), keypad
digits, a pause, or a hang-up. A polite caller waits until the bot is silent; a ``barge_in_ms`` turn talks
over the bot that long after the bot's latest speech started. After the last turn the caller stays on the
line until the bot has reacted (for a silent turn: its no-input prompt) and fallen silent, then hangs up.
Events come in script order as they happen: each frame is made when the session asks for it, so no audio
is ever queued for an urgent event (``voicebot.events.URGENT``) to overtake.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from voicebot.audio import AudioFrame, read_wav, resample, silence
from voicebot.call.bot import Bot
from voicebot.events import AudioReceived, CallHungUp, DtmfReceived, LineEvent, TransferResult, TypedText
from voicebot.records.calls import CallOutcome, CallRecorder, MemoryRecorder, TurnRecord
from voicebot.understand.understanding import Understanding

PAUSE_MS: Final = 300
"""How long a polite caller waits after the bot fell silent (milliseconds)."""
MAX_CALL_MS: Final = 30 * 60 * 1000
"""A script that never ends is hung up after this much media time (milliseconds)."""


@dataclass(frozen=True)
class Turn:
    """One scripted caller action."""

    kind: str
    """``audio``, ``text``, ``dtmf``, ``pause`` or ``hangup``."""
    pcm: bytes = b""
    """Caller audio at the channel's line rate (``audio``)."""
    text: str = ""
    """The typed sentence (``text``)."""
    digits: str = ""
    """Keys pressed (``dtmf``)."""
    ms: int = 0
    """Length of a ``pause`` (milliseconds)."""
    barge_in_ms: int | None = None
    """Talk over the bot this long after its latest speech started; None = wait until it is silent."""
    label: str = ""
    """Where the turn came from (file name, ``--say``), for reports."""

    @classmethod
    def wav(cls, path: str | Path, line_rate: int, barge_in_ms: int | None = None) -> Turn:
        """A WAV file as caller audio, converted to the line rate."""
        pcm, rate = read_wav(path)
        return cls("audio", pcm=resample(pcm, rate, line_rate), barge_in_ms=barge_in_ms, label=str(path))

    @classmethod
    def say(cls, text: str) -> Turn:
        """A typed caller sentence."""
        return cls("text", text=text, label=f"say: {text}")

    @classmethod
    def keys(cls, digits: str) -> Turn:
        """Keypad digits."""
        return cls("dtmf", digits=digits, label=f"dtmf: {digits}")

    @classmethod
    def pause(cls, ms: int) -> Turn:
        """The caller says nothing for ``ms`` milliseconds."""
        return cls("pause", ms=ms, label=f"pause {ms} ms")

    @classmethod
    def hang_up(cls) -> Turn:
        """The caller hangs up (at once, even while the bot talks)."""
        return cls("hangup", label="hang-up")


@dataclass(frozen=True)
class Played:
    """Bot audio queued on the channel."""

    at_ms: int
    """Media time it was queued."""
    pcm: bytes


class FileChannel:
    """A ``CallChannel`` that plays a script of caller turns and collects the bot's audio (media time)."""

    def __init__(
        self,
        turns: Sequence[Turn],
        rate: int = 16000,
        *,
        call_id: str = "sim-1",
        remote: str = "+4983815550123",
        tail_ms: int = 1000,
        frame_ms: int = 20,
        transfer_results: Sequence[TransferResult] = (),
        await_reply_ms: int = 0,
    ) -> None:
        self.call_id = call_id
        self.remote = remote
        self.rate = rate
        self.turns = list(turns)
        self.tail_ms = tail_ms
        """Silence after each audio turn (must exceed the end-of-turn silence)."""
        self.frame_ms = frame_ms
        self.await_reply_ms = await_reply_ms
        """After the last turn the caller stays on the line up to this long for the bot's reply (e.g. to silence)."""
        self.media_ms = 0
        self.played: list[Played] = []
        """Everything the bot queued, in order."""
        self.transfers: list[str] = []
        """Targets of every transfer asked for (the SIP URI, without the context's URI headers)."""
        self.transfer_headers: list[dict[str, str]] = []
        """The context headers of each transfer (``Subject`` …), decoded from the Refer-To URI."""
        self.turn_starts: list[int] = []
        """Media time each caller turn began."""
        self.stopped = 0
        """How often queued bot audio was dropped (barge-in, DTMF)."""
        self.bot_hung_up = False
        self._transfer_results = list(transfer_results)
        self._pending = 0
        self._speech_started_ms = 0
        self._ended = False
        self._script = self._events()

    # --- CallChannel --------------------------------------------------------------------------------

    async def receive(self) -> LineEvent:
        """The next scripted event; after the script or the bot's hang-up, CallHungUp forever."""
        if self._ended:
            return CallHungUp(self.media_ms, "ended")
        event = next(self._script, None)
        if event is None or isinstance(event, CallHungUp):
            self._ended = True
            self._pending = 0
            return event or CallHungUp(self.media_ms, "script over")
        return event

    def play(self, pcm: bytes) -> None:
        """Queue bot audio."""
        if self._ended:
            return
        if self._pending == 0:
            self._speech_started_ms = self.media_ms
        self.played.append(Played(self.media_ms, pcm))
        self._pending += len(pcm)

    def stop_playback(self) -> None:
        """Drop queued bot audio."""
        if self._pending:
            self.stopped += 1
        self._pending = 0

    def playback_pending_ms(self) -> float:
        """Queued bot audio not yet 'sent' (milliseconds of media time)."""
        return 1000.0 * self._pending / (2 * self.rate)

    async def transfer(self, target: str) -> TransferResult:
        """Record the target; the next scripted result (default: answered). A good transfer ends the call."""
        uri, _mark, query = target.strip("<>").partition("?")
        self.transfers.append(uri)
        self.transfer_headers.append(dict(urllib.parse.parse_qsl(query)))
        result = self._transfer_results.pop(0) if self._transfer_results else TransferResult(True, 200, "OK")
        if result.ok:
            self._ended = True
            self._pending = 0
        return result

    async def hangup(self) -> None:
        """The bot ends the call."""
        self.bot_hung_up = True
        self._ended = True
        self._pending = 0

    # --- results ----------------------------------------------------------------------------------

    def bot_audio(self, since_ms: int = 0) -> bytes:
        """All bot audio queued at or after ``since_ms`` (whole prompts, also those cut by barge-in)."""
        return b"".join(p.pcm for p in self.played if p.at_ms >= since_ms)

    # --- the script -------------------------------------------------------------------------------

    def _frame(self, pcm: bytes) -> AudioReceived:
        frame = AudioFrame(pcm, self.rate, self.media_ms)
        self.media_ms += self.frame_ms
        self._pending = max(0, self._pending - len(pcm))
        return AudioReceived(frame)

    def _quiet(self) -> AudioReceived:
        return self._frame(silence(self.rate, self.frame_ms))

    def _events(self) -> Iterator[LineEvent]:
        for turn in self.turns:
            if turn.kind == "hangup":
                yield CallHungUp(self.media_ms, "caller hung up")
                return
            yield from self._wait_for_bot(turn.barge_in_ms)
            self.turn_starts.append(self.media_ms)
            if turn.kind == "audio":
                size = 2 * self.rate * self.frame_ms // 1000
                for offset in range(0, len(turn.pcm), size):
                    chunk = turn.pcm[offset : offset + size]
                    yield self._frame(chunk + b"\x00" * (size - len(chunk)))
                for _ in range(self.tail_ms // self.frame_ms):
                    yield self._quiet()
            elif turn.kind == "text":
                yield TypedText(turn.text, self.media_ms)
            elif turn.kind == "dtmf":
                for digit in turn.digits:
                    yield DtmfReceived(digit, self.media_ms)
                    for _ in range(100 // self.frame_ms):
                        yield self._quiet()
            elif turn.kind == "pause":
                for _ in range(turn.ms // self.frame_ms):
                    yield self._quiet()
        if self.turn_starts and self.await_reply_ms:
            last = self.turn_starts[-1]
            waited = 0
            while not any(p.at_ms >= last for p in self.played) and waited < self.await_reply_ms:
                yield self._quiet()
                waited += self.frame_ms
        yield from self._wait_for_bot(None)
        yield CallHungUp(self.media_ms, "script over")

    def _wait_for_bot(self, barge_in_ms: int | None) -> Iterator[LineEvent]:
        if barge_in_ms is not None:
            while self._pending > 0 and self.media_ms - self._speech_started_ms < barge_in_ms:
                yield self._quiet()
            return
        quiet = 0
        while quiet < PAUSE_MS and self.media_ms < MAX_CALL_MS:
            silent = self._pending == 0  # the bot was silent during the whole next frame
            yield self._quiet()
            quiet = quiet + self.frame_ms if silent else 0


@dataclass
class SimulatedCall:
    """What a simulated call produced."""

    outcome: CallOutcome
    turns: list[TurnRecord]
    heard: list[tuple[str, Understanding]]
    channel: FileChannel
    recorder: MemoryRecorder | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def reply_audio(self) -> bytes:
        """The bot's audio after the caller's first turn began (everything after the greeting)."""
        starts = self.channel.turn_starts
        return self.channel.bot_audio(starts[0]) if starts else b""


async def simulate_call(
    bot: Bot,
    turns: Sequence[Turn],
    *,
    start: dt.datetime,
    recorder: CallRecorder | None = None,
    transfer_results: Sequence[TransferResult] = (),
    call_id: str = "sim-1",
) -> SimulatedCall:
    """Run one scripted call through the bot's real session; the clock starts at ``start`` and follows media time."""
    from voicebot.call.session import CallSession

    settings = bot.settings
    channel = FileChannel(
        turns,
        settings.audio.line_rate,
        call_id=call_id,
        tail_ms=settings.vad.end_silence_ms + 300,
        frame_ms=settings.audio.frame_ms,
        transfer_results=transfer_results,
        await_reply_ms=settings.vad.no_input_ms + 1000,
    )
    memory: MemoryRecorder | None = None
    if recorder is None:
        memory = MemoryRecorder()
        recorder = memory

    def clock() -> dt.datetime:
        return start + dt.timedelta(milliseconds=channel.media_ms)

    session = CallSession(bot, channel, recorder, clock)
    outcome = await session.run()
    return SimulatedCall(outcome, session.turns, session.heard, channel, memory, {"language": session.language.current})


__all__ = ["MAX_CALL_MS", "PAUSE_MS", "FileChannel", "Played", "SimulatedCall", "Turn", "simulate_call"]
