"""SpeechCache with the real espeak-ng synthesiser: rendering, hits, streaming, pre-rendering, threads."""

from __future__ import annotations

import io
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from voicebot.audio import read_wav
from voicebot.engines.espeak_tts import EspeakSynthesizer
from voicebot.speak.cache import CacheStats, SpeechCache

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

TEXT = "Die Kfz-Zulassung hat heute bis 12:30 Uhr geöffnet."


@pytest.fixture(scope="module")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer("de", 150)


@pytest.fixture
def cache(espeak: EspeakSynthesizer, tmp_path: Path) -> SpeechCache:
    return SpeechCache(espeak, tmp_path / "tts", 8000)


def _rms(pcm: bytes) -> float:
    data = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(data * data))) if len(data) else 0.0


def test_render_gives_line_rate_audio_and_caches_it_on_disk(cache: SpeechCache) -> None:
    pcm = cache.render(TEXT)
    seconds = len(pcm) / 2 / 8000
    assert 1.5 < seconds < 10
    assert _rms(pcm) > 300
    path = cache.path_for(TEXT)
    assert path.is_file()
    stored, rate = read_wav(path)
    assert rate == 8000 and stored == pcm
    assert cache.stats == CacheStats(hits=0, misses=1)
    assert cache.render(TEXT) == pcm
    assert cache.stats.hits == 1 and cache.stats.hit_rate == 0.5


def test_a_fresh_cache_object_reads_the_disk(cache: SpeechCache, espeak: EspeakSynthesizer) -> None:
    pcm = cache.render(TEXT)
    again = SpeechCache(espeak, cache.cache_dir, 8000)
    assert again.is_cached(TEXT)
    assert again.render(TEXT) == pcm
    assert again.stats == CacheStats(hits=1, misses=0)


def test_key_depends_on_rate_and_spoken_form(espeak: EspeakSynthesizer, tmp_path: Path) -> None:
    narrow, wide = SpeechCache(espeak, tmp_path, 8000), SpeechCache(espeak, tmp_path, 16000)
    assert narrow.key(TEXT) != wide.key(TEXT)
    assert narrow.key("um 7:30 Uhr") == narrow.key("um 7.30 Uhr")  # same spoken text, same audio
    assert narrow.key("um 7:30 Uhr") != narrow.key("um 8:30 Uhr")
    assert len(wide.render("Guten Tag.")) > len(narrow.render("Guten Tag.")) * 1.8


def test_stream_yields_chunks_then_serves_from_cache(cache: SpeechCache) -> None:
    long_text = "Guten Tag. Hier ist das Landratsamt Lindenberg. Was kann ich für Sie tun?"
    chunks = list(cache.stream(long_text))
    assert len(chunks) > 3
    assert cache.is_cached(long_text)
    assert b"".join(cache.stream(long_text)) == b"".join(chunks)
    assert cache.stats == CacheStats(hits=1, misses=1)


def test_empty_text_is_silence_without_synthesis(cache: SpeechCache) -> None:
    assert cache.render("  ") == b""
    assert list(cache.stream("")) == []
    assert cache.stats == CacheStats(0, 0)


def test_damaged_file_is_rendered_again(cache: SpeechCache) -> None:
    pcm = cache.render(TEXT)
    cache.path_for(TEXT).write_bytes(b"not a wav")
    fresh = SpeechCache(cache.synth, cache.cache_dir, 8000)
    assert fresh.render(TEXT) == pcm
    assert read_wav(cache.path_for(TEXT))[0] == pcm


def test_prerender_counts_and_draws_a_progress_bar(cache: SpeechCache) -> None:
    texts = ["Guten Tag.", "Auf Wiederhören.", "Guten Tag.", "", "Einen Moment bitte."]
    out = io.StringIO()
    result = cache.prerender(texts, progress=True, out=out)
    assert (result.texts, result.rendered, result.cached) == (3, 3, 0)
    assert result.audio_seconds > 1.0
    assert "3/3" in out.getvalue() and "#" in out.getvalue()
    again = cache.prerender(texts, progress=False)
    assert (again.rendered, again.cached) == (0, 3)


def test_concurrent_renders_agree(cache: SpeechCache) -> None:
    texts = [f"Ihre Wartenummer ist {n}." for n in range(6)] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(cache.render, texts))
    for index, text in enumerate(texts):
        assert results[index] == cache.render(text)
    files = [p for p in cache.cache_dir.rglob("*") if p.is_file()]
    assert len(files) == 6 and all(p.suffix == ".wav" for p in files)


@pytest.fixture
def tmp_config(tmp_path: Path) -> Path:
    """The example configuration with its content files, but the TTS cache (var/) under tmp_path."""
    from tests.conftest import ROOT
    from voicebot.engines.whisper_model import assemble_pypi_whisper

    whisper = assemble_pypi_whisper(ROOT / "var" / "models" / "whisper-base")
    text = (ROOT / "voicebot.toml").read_text(encoding="utf-8")
    for name in ("grammars/faq.yaml", "grammars/departments.yaml", "prompts/de.yaml"):
        text = text.replace(f'"{name}"', f'"{ROOT / name}"')
    text = text.replace('whisper_model = "pypi:whisper-base"', f'whisper_model = "{whisper}"')
    config = tmp_path / "voicebot.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_cli_prerender_given_texts(tmp_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from voicebot.cli import main

    (tmp_config.parent / "var" / "cache" / "tts" / "ab").mkdir(parents=True)
    (tmp_config.parent / "var" / "cache" / "tts" / "ab" / "ab00.wav").write_bytes(b"stale")
    args = ["-c", str(tmp_config), "prerender", "--engine", "espeak", "--text", "Guten Tag.", "--text", "Tschüss."]
    assert main([*args, "--prune"]) == 0
    assert "2 texts: 2 rendered, 0 already cached; " in (out := capsys.readouterr().out)
    assert "1 unused files deleted" in out
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "2 texts: 0 rendered, 2 already cached" in captured.out
    assert "2/2" in captured.err  # the progress bar
    assert len(list((tmp_config.parent / "var" / "cache" / "tts").rglob("*.wav"))) == 2


@pytest.mark.model
def test_cli_prerender_renders_every_prompt_and_answer(tmp_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from voicebot.cli import main
    from voicebot.config.load import load_settings
    from voicebot.content.load import load_content

    assert main(["-c", str(tmp_config), "prerender", "--quiet"]) == 0
    out = capsys.readouterr().out
    count = int(out.split(" texts:")[0])
    settings = load_settings(tmp_config)
    content = load_content(settings)
    assert count >= len(content.topics) + 10
    cache = SpeechCache(EspeakSynthesizer("de", settings.tts.espeak_speed), settings.resolve("var/cache/tts"), 16000)
    from voicebot.content.model import render_text

    for topic in content.topics:
        assert not topic.answer or cache.is_cached(render_text(topic.answer, content.facts)), topic.id


def test_prune_deletes_audio_of_texts_no_longer_used(cache: SpeechCache) -> None:
    cache.prerender(["Alte Antwort.", "Guten Tag."], progress=False)
    assert cache.prune(["Guten Tag.", "Neue Antwort."]) == 1
    assert cache.is_cached("Guten Tag.") and not cache.is_cached("Alte Antwort.")
    assert cache.prune(["Guten Tag."]) == 0


def test_prerender_stops_between_two_texts_when_told(cache: SpeechCache) -> None:
    asked: list[int] = []

    def stop() -> bool:  # a line told to stop while it starts: after the first text
        asked.append(1)
        return len(asked) > 1

    result = cache.prerender(["Guten Tag.", "Auf Wiederhören.", "Einen Moment bitte."], progress=False, stop=stop)
    assert (result.texts, result.rendered) == (3, 1)
    assert cache.is_cached("Guten Tag.") and not cache.is_cached("Auf Wiederhören.")
