"""One phone call, start to end: greeting, listening, understanding, answering, transferring, recording.

``CallSession(bot, channel, recorder, clock).run()`` is one asyncio task per call. It reads the line's
events (``channel.receive``), turns caller audio into utterances (``voicebot.listen.listener``), asks the
pure policy what to do (``voicebot.dialogue.policy.step``) and carries out its commands: speech through the bot's
speech cache into ``channel.play``, transfers, hang-up, callback requests, and one call-record entry per
turn with its timings. Recogniser, matcher and synthesiser run in thread pools. A failure in one turn is
logged and apologised for; the call goes on or ends cleanly, never the process.

Speed: with ``[vad] speculate_ms`` the listener decodes the utterance while the end-of-turn silence still
runs and reports the text as an ``EarlyTranscript``; the session then has it matched and its reply looked up
ahead (``voicebot.call.speculate.Foresight``) and the turn takes that work if its final text is the same. A
reply's first audio is queued as soon as it exists: cached texts at once, uncached ones chunk by chunk as the
synthesiser produces them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Final

from voicebot.call import metrics
from voicebot.call.bot import Bot
from voicebot.call.handover import hand_over, transfer_context
from voicebot.call.language import CallLanguage
from voicebot.call.speculate import Foresight
from voicebot.call.turns import TurnInput, call_outcome, turn_record
from voicebot.call.voice import speak
from voicebot.content.model import SWITCHBOARD
from voicebot.dialogue.policy import step
from voicebot.dialogue.replies import switchboard
from voicebot.dialogue.types import (
    CallStarted,
    Command,
    DialogueState,
    Event,
    HangUp,
    Heard,
    Note,
    Phase,
    RecordCallback,
    Say,
    TimeUp,
    Transfer,
    TransferDone,
)
from voicebot.events import (
    AudioReceived,
    BargeIn,
    CallHungUp,
    DtmfReceived,
    EarlyTranscript,
    LineEvent,
    NoInput,
    SpeechStarted,
    TransferResult,
    TypedText,
)
from voicebot.listen.listener import Listener, Utterance
from voicebot.ports import CallChannel, Clock
from voicebot.records.audio import AudioKeeper
from voicebot.records.calls import CallbackRequest, CallOutcome, CallRecorder, TurnRecord
from voicebot.speak.stream import PLAYBACK_WAIT_S
from voicebot.understand.understanding import Understanding

_LOGGER: Final = logging.getLogger(__name__)

MAX_ERRORS: Final = 3
"""Failed turns (recogniser or synthesiser errors) after which the call is ended with an apology."""
_NOT_ACTED_ON: Final = "call %s: %s while the bot finished speaking before %s: not acted on (already decided)"


class CallSession:
    """Runs one call to its end; ``run`` returns how it ended."""

    def __init__(self, bot: Bot, channel: CallChannel, recorder: CallRecorder, clock: Clock) -> None:
        self.bot = bot
        self.channel = channel
        self.recorder = recorder
        self.clock = clock
        self.state = DialogueState()
        self.turns: list[TurnRecord] = []
        """Every turn recorded so far (also handed to the recorder)."""
        self.heard: list[tuple[str, Understanding]] = []
        """Every caller utterance (transcript, understanding), in order."""
        self.media_ms = 0
        """Media time of the line (end of the newest caller frame, milliseconds)."""
        self.language = CallLanguage(bot)
        """The call's language: content, matcher and recogniser of its turns."""
        self.foresight = Foresight(bot, lambda: self.state, clock, lambda: self.language.current)
        """Prepares turns on the listener's early transcripts and gives each turn its understanding."""
        self._audio = AudioKeeper.from_settings(bot.settings)  # None unless [records] store_audio
        vad, phrases = bot.settings.vad, bot.recogniser_phrases()
        keep_audio = self._audio is not None or bot.scorer is not None  # the scorer reads the turn's audio
        transcriber = self.language.transcriber()
        self._listener = Listener(transcriber, bot.detector_factory(), vad, phrases, keep_audio=keep_audio)
        self._caller_hung_up = False
        self._bot_hung_up = False
        self._time_up_sent = False
        self._errors = 0
        self._failure = ""
        self._handed_over = False

    @property
    def over(self) -> bool:
        """True once either side ended the call."""
        return self._caller_hung_up or self._bot_hung_up

    async def run(self) -> CallOutcome:
        """Greet, then handle the line's events until the call is over; records start, turns and outcome."""
        channel = self.channel
        self.recorder.call_started(channel.call_id, channel.remote, self.clock())
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.bot.maybe_reload)
            await self._dispatch(CallStarted(), TurnInput())
            while not self.over:
                await self._on_line(await channel.receive())
        except asyncio.CancelledError:
            # the app cancels a session at shutdown or after the hard time limit and hands the call over itself
            self._handed_over = True
            self._end_record()
            raise
        except Exception as error:
            _LOGGER.exception("call %s: the session failed", channel.call_id)
            self._failure = f"interner Fehler: {type(error).__name__}"
            await self._apologise_and_hang_up()
        finally:
            self.foresight.forget()
        return self._end_record()

    # --- line events ------------------------------------------------------------------------------

    async def _on_line(self, event: LineEvent) -> None:
        if isinstance(event, AudioReceived):
            await self._on_audio(event)
        elif isinstance(event, DtmfReceived):
            self.channel.stop_playback()
            self._listen_again()
            await asyncio.get_running_loop().run_in_executor(None, self.bot.maybe_reload)
            keyed = self.language.on_key(event.digit, self.state.phase == Phase.CALLBACK_NUMBER)
            if keyed is None:
                await self._dispatch(event, TurnInput(dtmf=event.digit, detected_at=time.perf_counter()))
            else:  # a language's key ("9": English)
                self._listener.use(self.language.transcriber())
                await self._execute(list(keyed), TurnInput(dtmf=event.digit, detected_at=time.perf_counter()))
        elif isinstance(event, TypedText):
            await self._on_text(event)
        elif isinstance(event, CallHungUp):
            self._caller_hung_up = True
            _LOGGER.info("call %s: caller hung up (%s)", self.channel.call_id, event.reason)

    async def _on_audio(self, event: AudioReceived) -> None:
        frame = event.frame
        self.media_ms = max(self.media_ms, frame.timestamp_ms + round(frame.duration_ms))
        if not self._time_up_sent and self.media_ms >= 1000 * self.bot.settings.sip.max_call_seconds:
            self._time_up_sent = True
            self.channel.stop_playback()
            await self._dispatch(TimeUp(), TurnInput())
            return
        speaking = self.channel.playback_pending_ms() > 0
        heard_at = self.clock()
        events, utterance = await self._listener.frame(frame, speaking)
        for turn_event in events:
            if isinstance(turn_event, BargeIn) and speaking:
                _LOGGER.debug("call %s: barge-in at %d ms", self.channel.call_id, turn_event.at_ms)
                self.channel.stop_playback()
            elif isinstance(turn_event, NoInput):
                await self._dispatch(turn_event, TurnInput(detected_at=time.perf_counter()))
            elif isinstance(turn_event, EarlyTranscript):
                # the caller may go on: the turn checks the text (and with audio rescoring is done ahead too)
                self.foresight.foresee(turn_event.text, turn_event.audio)
            elif isinstance(turn_event, SpeechStarted):
                self.foresight.forget()
        if utterance is not None:
            await self._on_utterance(utterance, heard_at)

    async def _on_utterance(self, utterance: Utterance, heard_at: dt.datetime) -> None:
        transcript = utterance.transcript
        ended = utterance.ended
        turn = TurnInput(
            transcript=transcript.text,
            engine=transcript.engine,
            confidence=transcript.confidence,
            detected_at=utterance.detected_at,
            endpoint_ms=float(ended.at_ms - ended.speech_end_ms),
            timings={"asr_ms": round(utterance.asr_ms, 1)},
            at=heard_at,
            language=(transcript.language, transcript.language_probability),
        )
        if self._audio is not None and utterance.audio:
            rate = self.bot.transcriber.sample_rate
            turn.audio_file = await self._audio.keep(self.channel.call_id, len(self.turns), utterance.audio, rate)
        if self.bot.settings.vad.speculate_ms > 0 and not self.bot.transcriber.streaming:
            turn.timings["speculative"] = 1.0 if utterance.speculative else 0.0
            turn.timings["speculation_saved_ms"] = round(utterance.saved_ms, 1)
            turn.timings["speculations_dropped"] = float(utterance.dropped)
        if utterance.error:
            self._errors += metrics.asr_error()
            _LOGGER.warning("call %s: recognition failed (%s)", self.channel.call_id, utterance.error)
            await self._apology(turn, f"Spracherkennung fehlgeschlagen: {utterance.error}")
            return
        await self._understood(turn, utterance.audio, transcript.alternatives)

    async def _on_text(self, event: TypedText) -> None:
        self.channel.stop_playback()
        turn = TurnInput(transcript=event.text, engine="typed", detected_at=time.perf_counter())
        self._listen_again()
        await self._understood(turn)

    async def _understood(self, turn: TurnInput, audio: bytes = b"", alternatives: tuple[str, ...] = ()) -> None:
        started = time.perf_counter()
        step = self.language.before_match(turn.transcript, *turn.language)
        self._listener.use(self.language.transcriber())
        if step.commands:
            await self._execute(list(step.commands), turn)
            return
        if step.text != turn.transcript:  # a text waiting for the language to be confirmed: not this audio's
            audio, alternatives = b"", ()
        understanding = step.unmatched or await self.foresight.understand(step.text, audio, alternatives)
        turn.timings["match_ms"] = round(1000 * (time.perf_counter() - started), 1)
        turn.understanding = understanding
        self.heard.append((turn.transcript, understanding))
        await self._dispatch(Heard(understanding), turn)

    def _listen_again(self) -> None:
        """Forget the utterance in progress and any turn prepared for it (after DTMF, typed text, a transfer)."""
        self._listener.restart(self.media_ms)
        self.foresight.forget()

    # --- policy and commands -----------------------------------------------------------------------

    async def _dispatch(self, event: Event, turn: TurnInput) -> None:
        if self.over:
            return
        context = self.bot.context(self.clock(), self.language.current)
        self.state, commands = step(self.state, event, context)
        result = await self._execute(commands, turn)
        if self._errors >= MAX_ERRORS and not self.over:
            self._failure = f"{self._errors} Fehler in diesem Anruf"
            await self._apologise_and_hang_up()
            return
        if result is not None and not self._caller_hung_up:
            await self._dispatch(TransferDone(result), TurnInput(detected_at=time.perf_counter()))

    async def _execute(self, commands: list[Command], turn: TurnInput) -> TransferResult | None:
        """Carry out one turn's commands; records the turn; returns a transfer's result if one was made."""
        note = commands[0] if commands and isinstance(commands[0], Note) else Note("unknown")
        spoken: list[str] = []
        result: TransferResult | None = None
        for command in commands:
            if self._caller_hung_up:
                break
            if isinstance(command, Say):
                if await self._say(command.text, turn):
                    spoken.append(command.text)
            elif isinstance(command, Transfer):
                result = await self._transfer(command)
            elif isinstance(command, HangUp):
                await self._drain("hanging up")
                await self.channel.hangup()
                self._bot_hung_up = True
            elif isinstance(command, RecordCallback):
                self._record_callback(command)
        self._record_turn(note, turn, spoken)
        return result

    async def _say(self, text: str, turn: TurnInput) -> bool:
        """Queue ``text``'s audio (``voicebot.call.voice.speak``); False when nothing was played."""
        speech = self.bot.speech_for(self.language.current)
        played, failed = await speak(self.channel, speech, text, turn, lambda: self._caller_hung_up)
        if failed:
            self._errors += metrics.tts_error()
        return played

    async def _transfer(self, command: Transfer) -> TransferResult:
        await self._drain(f"the transfer to {command.department}")
        if self._caller_hung_up:
            return TransferResult(False, 0, "der Anrufer hat aufgelegt")
        topic = self.state.pending_topic
        context = transfer_context(self.bot.content, command.department, topic, self.heard, command.reason)
        try:
            result = await hand_over(self.channel, self.bot.settings, command.department, context, self._bridge_note)
        except Exception as error:
            _LOGGER.exception("call %s: transfer to %s failed", self.channel.call_id, command.department)
            result = TransferResult(False, 0, f"{type(error).__name__}: {error}")
        metrics.transfer(result.ok)
        self._listen_again()
        return result

    async def _bridge_note(self) -> None:
        """Before the bot bridges the call itself: "Einen Moment, ich verbinde Sie" (when the prompt exists)."""
        text = self._prompt("transfer_bridge")
        if text and await self._say(text, TurnInput()):
            await self._drain("the bridge")

    async def _drain(self, before: str) -> None:
        """Wait until queued speech has been played before ``before`` (a transfer, hanging up), still noticing
        a hang-up. Caller audio is dropped; a key pressed meanwhile is logged, not acted on: the transfer or
        goodbye it would race with was decided and announced, and after a failed transfer the caller should
        hear what happened before an earlier key takes effect."""
        deadline = time.monotonic() + PLAYBACK_WAIT_S
        while self.channel.playback_pending_ms() > 0 and not self._caller_hung_up and time.monotonic() < deadline:
            try:
                event = await asyncio.wait_for(self.channel.receive(), 0.1)
            except TimeoutError:
                continue
            if isinstance(event, CallHungUp):
                self._caller_hung_up = True
            elif isinstance(event, AudioReceived):
                frame = event.frame
                self.media_ms = max(self.media_ms, frame.timestamp_ms + round(frame.duration_ms))
            else:  # a key (or typed text: its words stay out of the log)
                said = f"key {event.digit}" if isinstance(event, DtmfReceived) else "typed text"
                _LOGGER.info(_NOT_ACTED_ON, self.channel.call_id, said, before)

    async def _apology(self, turn: TurnInput, reason: str) -> None:
        """A turn failed: apologise and hand the caller to the switchboard (callback offer when it is closed)."""
        context = self.bot.context(self.clock(), self.language.current)
        state, commands = switchboard(self.state, context, reason)
        note = Note("apology", None, SWITCHBOARD, reason)
        text = self._prompt("apology")
        if state.phase == Phase.TRANSFERRING and text:
            commands = [note, Say("apology", text), *(c for c in commands if isinstance(c, Transfer))]
        else:
            commands = [note, *commands[1:]]
        self.state = state
        result = await self._execute(commands, turn)
        if result is not None and not self._caller_hung_up:
            await self._dispatch(TransferDone(result), TurnInput(detected_at=time.perf_counter()))

    async def _apologise_and_hang_up(self) -> None:
        """The session itself failed: apologise, try the switchboard, hang up; never raises."""
        try:
            if not self.over:
                self.channel.stop_playback()
                text = self._prompt("apology")
                if text:
                    await self._say(text, TurnInput())
                await self._drain("the hand-over after a failure")
                switchboard_line = self.bot.settings.departments.get(SWITCHBOARD)
                if switchboard_line is not None and switchboard_line.target and not self._caller_hung_up:
                    await self.channel.transfer(switchboard_line.target)
            await self.channel.hangup()
        except Exception:
            _LOGGER.exception("call %s: could not end the call cleanly", self.channel.call_id)
        self._bot_hung_up = True

    def _prompt(self, prompt_id: str) -> str:
        try:
            return self.bot.prompt_text(prompt_id, self.language.current)
        except KeyError:
            return ""

    # --- records -------------------------------------------------------------------------------------

    def _record_turn(self, note: Note, turn: TurnInput, spoken: list[str]) -> None:
        record = turn_record(len(self.turns), turn.at or self.clock(), note, turn, spoken, self.language.current)
        self.turns.append(record)
        try:
            self.recorder.turn(self.channel.call_id, record)
        except Exception:
            _LOGGER.exception("call %s: the turn could not be recorded", self.channel.call_id)

    def _record_callback(self, command: RecordCallback) -> None:
        number = command.number or self.channel.remote
        note = "" if command.number else "Rufnummer des Anrufers"
        request = CallbackRequest(
            self.channel.call_id, command.name, number, command.department, command.topic, note, self.clock()
        )
        try:
            self.recorder.callback(request)
        except Exception:
            self._errors += 1
            _LOGGER.exception("call %s: the callback request could not be stored", self.channel.call_id)

    def _end_record(self) -> CallOutcome:
        outcome = self.outcome()
        try:
            self.recorder.call_ended(self.channel.call_id, outcome)
        except Exception:
            _LOGGER.exception("call %s: the outcome could not be recorded", self.channel.call_id)
        return outcome

    def outcome(self) -> CallOutcome:
        """How the call ended, from the dialogue state and the line."""
        if self._handed_over:
            ended = "handed_over"
        elif self._failure:
            ended = "failed"
        else:
            ended = "caller" if self._caller_hung_up else "bot"
        return call_outcome(self.state, ended, self._failure, self.clock(), self.language.current)


__all__ = ["MAX_ERRORS", "CallSession", "TurnInput"]
