"""``voicebot bench language``: the caller audio it uses, and one small real run (Whisper, simulated calls)."""

from __future__ import annotations

from pathlib import Path

import pytest
from voicebot_bench.language_bench import LanguageOptions, run_language_bench, utterances

from voicebot.config.settings import Settings


def test_the_bench_speaks_each_language_on_an_8khz_line() -> None:
    clips = utterances(2)
    assert [language for language, _label, _pcm in clips] == ["de", "de", "en", "en"]
    for _language, label, pcm in clips:
        assert 0.8 < len(pcm) / 2 / 8000 < 8.0, label


@pytest.mark.model
@pytest.mark.slow
def test_one_small_run_measures_identification_and_the_turn_gaps(settings: Settings, tmp_path: Path) -> None:
    document = run_language_bench(settings, LanguageOptions(n=1), tmp_path, log=lambda _line: None)
    cost = document["identification"]
    assert cost["n"] == 2 and cost["identified_right"] == 2
    assert cost["short_window"]["p50_ms"] < cost["full_window"]["p50_ms"]
    gaps = document["turn_gap"]
    assert gaps["en_identified"]["call_languages"] == ["en"]
    assert gaps["de_identified"]["call_languages"] == ["de"]
    assert {"identification_added_vs_decode", "gap_en_identified_vs_de"} <= set(document["ratios"])
