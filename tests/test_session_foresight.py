"""The speculation seam: the listener reports an ``EarlyTranscript``; the session prepares the turn on it
(``voicebot.call.speculate.Foresight``) and the turn takes that work only for the same final text.

The session tests pace the FileChannel (a few milliseconds of wall time per caller frame while the bot is
silent), as a phone line does at 20 ms, so the early decode in the recogniser's thread is done before the
end-of-turn silence is; unpaced, media time would outrun it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from pathlib import Path

from tests.sample_content import OPEN_NOW
from tests.test_session_speculate import RATE, CountingMatcher, by_length, frames, make_bot, one_phrase
from voicebot.audio import silence
from voicebot.call.bot import Bot
from voicebot.call.session import CallSession
from voicebot.call.simulate import FileChannel, Turn
from voicebot.call.speculate import Foresight
from voicebot.config.settings import Settings
from voicebot.dialogue.types import DialogueState
from voicebot.engines.fakes import (
    EnergySpeechDetector,
    FakeAcousticScorer,
    FakeTranscriber,
    noise_burst,
)
from voicebot.events import AudioReceived, EarlyTranscript, LineEvent, ListenEvent, SpeechEnded, SpeechPaused
from voicebot.listen.listener import Listener, Utterance
from voicebot.records.calls import MemoryRecorder
from voicebot.understand.understanding import Understanding

PACE_S = 0.003


class PacedChannel(FileChannel):
    """A FileChannel that takes ``PACE_S`` of wall time per caller frame while the bot is silent."""

    async def receive(self) -> LineEvent:
        event = await super().receive()
        if isinstance(event, AudioReceived) and self.playback_pending_ms() == 0:
            await asyncio.sleep(PACE_S)
        return event


async def paced_call(bot: Bot, *turns: Turn) -> CallSession:
    settings = bot.settings
    channel = PacedChannel(
        turns,
        RATE,
        tail_ms=settings.vad.end_silence_ms + 300,
        frame_ms=settings.audio.frame_ms,
        await_reply_ms=settings.vad.no_input_ms + 1000,
    )
    session = CallSession(bot, channel, MemoryRecorder(), lambda: OPEN_NOW)
    await session.run()
    return session


def asked(bot: Bot) -> list[str]:
    assert isinstance(bot.matcher, CountingMatcher)
    return bot.matcher.asked


async def test_the_listener_reports_the_pause_decode_as_an_early_transcript(settings: Settings) -> None:
    listener = Listener(FakeTranscriber(by_length, RATE, streaming=False), EnergySpeechDetector(), settings.vad)
    reported: list[ListenEvent] = []
    heard: list[Utterance] = []
    for frame in frames(one_phrase().pcm + silence(RATE, 1000)):
        events, utterance = await listener.frame(frame, False)
        reported += events
        heard += [utterance] if utterance is not None else []
        if any(isinstance(event, SpeechPaused) for event in reported):
            await asyncio.sleep(PACE_S)  # a line's pace after the pause: the snapshot's decode gets done
    [paused] = [e for e in reported if isinstance(e, SpeechPaused)]
    [early] = [e for e in reported if isinstance(e, EarlyTranscript)]
    assert early == EarlyTranscript("auto anmelden", paused.speech_end_ms)
    assert reported.index(early) < next(i for i, e in enumerate(reported) if isinstance(e, SpeechEnded))
    assert [u.transcript.text for u in heard] == ["auto anmelden"] and heard[0].speculative


async def test_the_session_prepares_on_the_early_transcript_and_the_turn_takes_it(
    settings: Settings, tmp_path: Path
) -> None:
    bot = make_bot(settings, tmp_path)
    session = await paced_call(bot, one_phrase())
    turn = session.turns[1]
    assert (turn.transcript, turn.action, turn.topic) == ("auto anmelden", "answer", "kfz-anmeldung")
    assert (session.foresight.prepared, session.foresight.taken) == (1, 1)
    assert asked(bot) == ["auto anmelden"]
    again = await paced_call(bot, one_phrase())  # the answer's audio is cached now: warmed ahead of the turn
    assert again.foresight.taken == 1 and again.foresight.warmed >= 1


async def test_a_different_final_transcript_is_matched_anew(settings: Settings, tmp_path: Path) -> None:
    """'auto' is decoded and prepared at the pause; the caller goes on until the utterance is cut at
    max_utterance_ms, so the final transcript is decoded whole ('auto anmelden') and matched for itself."""
    bot = make_bot(
        dataclasses.replace(settings, vad=dataclasses.replace(settings.vad, max_utterance_ms=3000)), tmp_path
    )
    pcm = noise_burst(RATE, 400) + silence(RATE, 680) + noise_burst(RATE, 3000 - 400 - 680, seed=2)
    session = await paced_call(bot, Turn("audio", pcm=pcm, label="auto ... anmelden (cut)"))
    turn = session.turns[1]
    assert (turn.transcript, turn.action, turn.topic) == ("auto anmelden", "answer", "kfz-anmeldung")
    assert turn.timings_ms["speculative"] == 0.0
    assert asked(bot) == ["auto", "auto anmelden"] and len(session.turns) == 2
    assert (session.foresight.prepared, session.foresight.taken) == (1, 0)


class HeldMatcher(CountingMatcher):
    """A CountingMatcher that holds every reading until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def understand(self, text: str) -> Understanding:
        self.release.wait(5)
        return super().understand(text)


def foresight(bot: Bot) -> Foresight:
    return Foresight(bot, DialogueState, lambda: OPEN_NOW)


async def test_a_preparation_still_running_is_awaited_not_done_again(settings: Settings, tmp_path: Path) -> None:
    matcher = HeldMatcher()
    ahead = foresight(make_bot(settings, tmp_path, matcher=matcher))
    ahead.foresee("auto anmelden")
    turn = asyncio.create_task(ahead.understand("auto anmelden"))
    await asyncio.sleep(0.05)
    assert not turn.done()  # the turn waits for the running match ...
    matcher.release.set()
    understanding = await turn
    assert understanding.best is not None and understanding.best.topic == "kfz-anmeldung"
    assert matcher.asked == ["auto anmelden"] and ahead.taken == 1  # ... and does not match again


async def test_foresight_matches_another_text_anew_and_forgets_on_request(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    ahead = foresight(bot)
    ahead.foresee("auto")
    for _ in range(500):
        if ahead.prepared:
            break
        await asyncio.sleep(0.01)
    understanding = await ahead.understand("auto anmelden")
    assert understanding.text == "auto anmelden" and ahead.taken == 0
    assert asked(bot) == ["auto", "auto anmelden"]
    ahead.foresee("auto anmelden")
    ahead.forget()  # e.g. a key was pressed: the next turn matches for itself
    await ahead.understand("auto anmelden")
    assert ahead.taken == 0 and asked(bot)[-1] == "auto anmelden"


async def test_with_a_scorer_the_pause_audio_is_rescored_ahead_and_the_turn_takes_it(
    settings: Settings, tmp_path: Path
) -> None:
    scorer = FakeAcousticScorer(lambda _pcm: "auto anmelden", RATE)
    session = await paced_call(make_bot(settings, tmp_path, scorer=scorer), one_phrase())
    turn = session.turns[1]
    assert (turn.transcript, turn.topic) == ("auto anmelden", "kfz-anmeldung")
    # read with its audio at the pause (rescored once, in the end-of-turn silence) and taken by the turn
    assert (session.foresight.prepared, session.foresight.rescored, session.foresight.taken) == (1, 1, 1)
    assert scorer.listened == 1
