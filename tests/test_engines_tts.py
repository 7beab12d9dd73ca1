"""TTS adapters with the real engines: piper (the English PyPI voice) and espeak-ng (German)."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from voicebot.audio import AudioFrame, join_frames
from voicebot.config.settings import Settings
from voicebot.engines import load_synthesizer
from voicebot.engines.espeak_tts import EspeakSynthesizer
from voicebot.engines.piper_tts import PiperSynthesizer, resolve_piper_voice, voice_language
from voicebot.errors import ModelError

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
ENGLISH = "Hello, this is the district office. How can I help you today?"
GERMAN = "Guten Tag, hier ist das Landratsamt Lindenberg. Wie kann ich Ihnen helfen?"


@pytest.fixture(scope="session")
def joe() -> PiperSynthesizer:
    return PiperSynthesizer(resolve_piper_voice("pypi:joe-us"))


@pytest.fixture(scope="session")
def espeak() -> EspeakSynthesizer:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    return EspeakSynthesizer("de", 150)


def _check_speech(frames: list[AudioFrame], rate: int, text: str) -> float:
    assert frames and all(f.rate == rate for f in frames)
    pcm = join_frames(frames)
    seconds = len(pcm) / 2 / rate
    assert len(text) / 30 < seconds < len(text) / 6, seconds  # 6..30 characters per second
    assert max(f.rms() for f in frames) > 500
    stamps = [f.timestamp_ms for f in frames]
    assert stamps == sorted(stamps) and stamps[0] == 0
    return seconds


@pytest.mark.model
def test_piper_speaks_non_silent_audio_of_plausible_length(joe: PiperSynthesizer) -> None:
    assert joe.name == "piper" and joe.sample_rate == 22050
    assert joe.language == "en_US"
    frames = list(joe.synthesize(ENGLISH))
    _check_speech(frames, 22050, ENGLISH)
    assert len(frames) == 2  # one chunk per sentence


@pytest.mark.model
def test_piper_length_scale_slows_down(joe: PiperSynthesizer) -> None:
    slow = PiperSynthesizer(joe.onnx, length_scale=1.5)
    normal = len(join_frames(joe.synthesize(ENGLISH)))
    slower = len(join_frames(slow.synthesize(ENGLISH)))
    assert slower > normal * 1.2  # piper's durations are a little random; 1.5 gives about 1.4 here
    assert slow.voice_id != joe.voice_id


@pytest.mark.model
def test_piper_empty_text_gives_nothing(joe: PiperSynthesizer) -> None:
    assert list(joe.synthesize("   ")) == []


def test_piper_missing_voice_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"thorsten.*voicebot models fetch de_DE-thorsten-medium"):
        PiperSynthesizer(tmp_path / "de_DE-thorsten-medium.onnx")
    (tmp_path / "lonely.onnx").write_bytes(b"onnx")
    with pytest.raises(ModelError, match=r"lonely\.onnx\.json missing"):
        PiperSynthesizer(tmp_path / "lonely.onnx")
    (tmp_path / "lonely.onnx.json").write_text('{"audio": {"sample_rate": 22050}}', encoding="utf-8")
    with pytest.raises(ModelError, match="cannot load the voice"):
        PiperSynthesizer(tmp_path / "lonely.onnx")
    with pytest.raises(ModelError, match="pypi:joe-us"):
        resolve_piper_voice("pypi:nobody")
    assert voice_language(tmp_path / "lonely.onnx") == ""


@needs_espeak
def test_espeak_speaks_german(espeak: EspeakSynthesizer) -> None:
    assert espeak.name == "espeak" and espeak.sample_rate == 22050
    frames = list(espeak.synthesize(GERMAN))
    _check_speech(frames, 22050, GERMAN)
    assert len(frames) > 3  # streamed in chunks


@needs_espeak
def test_espeak_takes_text_literally_never_through_a_shell(espeak: EspeakSynthesizer, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f'-v en "; touch {marker}; $(touch {marker}) `touch {marker}` | cat'
    frames = list(espeak.synthesize(hostile))
    assert frames and not marker.exists()
    assert all(hostile not in part for part in espeak.command())


@needs_espeak
def test_espeak_speed_and_empty_text(espeak: EspeakSynthesizer) -> None:
    fast = EspeakSynthesizer("de", 300)
    assert len(join_frames(fast.synthesize(GERMAN))) < 0.7 * len(join_frames(espeak.synthesize(GERMAN)))
    assert list(espeak.synthesize("")) == []


@needs_espeak
def test_espeak_bad_voice_or_program_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="voice 'xx-nowhere' is not available"):
        EspeakSynthesizer("xx-nowhere")
    with pytest.raises(ModelError, match="invalid voice name"):
        EspeakSynthesizer("--stdout")
    with pytest.raises(ModelError, match="apt-get install espeak-ng"):
        EspeakSynthesizer("de", binary="espeak-ng-nowhere")


@needs_espeak
def test_default_config_falls_back_from_piper_to_espeak(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="voicebot.engines"):
        synth = load_synthesizer(settings)
    assert synth.name == "espeak"
    assert any("piper" in r.getMessage() and "de_DE-thorsten-medium" in r.getMessage() for r in caplog.records)


@pytest.mark.model
def test_piper_from_pypi_loads_when_configured(settings: Settings, joe: PiperSynthesizer) -> None:
    english = replace(settings, tts=replace(settings.tts, piper_voice="pypi:joe-us"))
    assert load_synthesizer(english).name == "piper"
    with pytest.raises(ModelError, match="unknown TTS engine 'festival'"):
        load_synthesizer(settings, ["festival"])


@needs_espeak
def test_cli_say_writes_a_wav_at_the_asked_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from voicebot.audio import read_wav
    from voicebot.cli import main

    out = tmp_path / "out.wav"
    assert (
        main(["say", "Die Kfz-Zulassung öffnet um 7:30 Uhr.", "-o", str(out), "--engine", "espeak", "--rate", "8000"])
        == 0
    )
    pcm, rate = read_wav(out)
    assert rate == 8000 and 1.0 < len(pcm) / 2 / rate < 8.0
    err = capsys.readouterr().err
    assert "spoken as: Die Ka Ef Zett Zulassung öffnet um 7 Uhr 30." in err and "first audio after" in err
    phone = tmp_path / "phone.wav"
    assert main(["say", "Guten Tag.", "-o", str(phone), "--engine", "espeak", "--alaw"]) == 0
    assert phone.read_bytes()[20:22] == b"\x06\x00"  # WAV format tag 6: G.711 A-law
    assert read_wav(phone)[1] == 8000


@pytest.mark.model
def test_cli_say_with_piper(tmp_path: Path, joe: PiperSynthesizer) -> None:
    from voicebot.audio import read_wav
    from voicebot.cli import main

    config = tmp_path / "voicebot.toml"
    text = (Path(__file__).resolve().parent.parent / "voicebot.toml").read_text(encoding="utf-8")
    config.write_text(
        text.replace('piper_voice = "var/models/de_DE-thorsten-medium.onnx"', 'piper_voice = "pypi:joe-us"')
    )
    out = tmp_path / "joe.wav"
    assert main(["-c", str(config), "say", "Good morning.", "-o", str(out), "--engine", "piper"]) == 0
    pcm, rate = read_wav(out)
    assert rate == 22050 and len(pcm) > 22050


@needs_espeak
def test_engine_bench_measures_tts_and_cache(espeak: EspeakSynthesizer) -> None:
    from voicebot_bench.engines import engine_table, measure_cache, measure_tts

    tts = measure_tts(espeak, ["Guten Tag.", GERMAN])
    assert tts["texts"] == 2 and tts["audio_s"] > 2 and tts["rtf"] > 0 and tts["first_audio_ms_p50"] > 0
    cache = measure_cache(espeak, ["Guten Tag.", GERMAN, "Auf Wiederhören."], [GERMAN, "Nicht vorbereitet."], 8000)
    assert cache["prerendered"] == 3 and cache["hit_rate"] == 0.5
    text = engine_table({"tts": {"espeak": tts}, "cache": cache, "load_s": {"espeak": 0.1}, "notes": ["n"]})
    assert "espeak" in text and "hit rate" in text and "note: n" in text


@pytest.mark.model
def test_speech_cache_streams_piper_sentence_by_sentence(joe: PiperSynthesizer, tmp_path: Path) -> None:
    from voicebot.speak.cache import SpeechCache

    cache = SpeechCache(joe, tmp_path, 8000)
    chunks = list(cache.stream(ENGLISH))
    assert len(chunks) >= 2
    pcm = b"".join(chunks)
    assert 2.0 < len(pcm) / 2 / 8000 < 8.0
    assert cache.render(ENGLISH) == pcm and cache.stats.hits == 1


@pytest.mark.model
def test_load_engines_loads_both_as_configured(settings: Settings, joe: PiperSynthesizer) -> None:
    from voicebot.engines import load_engines

    english = replace(settings, tts=replace(settings.tts, piper_voice="pypi:joe-us"))
    transcriber, synthesizer = load_engines(english)
    assert transcriber.name == "whisper" and synthesizer.name == "piper"
