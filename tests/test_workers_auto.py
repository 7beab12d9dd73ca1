"""``voicebot run --workers auto``: workers from the measured calls per core (``voicebot.call.workers``)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from voicebot.call.workers import (
    CALLS_PER_CORE,
    CALLS_PER_WORKER,
    MAX_WORKERS,
    asr_engine_in_use,
    recommended_workers,
    share_cores,
)
from voicebot.cli.run import AUTO_WORKERS, workers_argument, workers_for
from voicebot.config.settings import Settings


def test_two_cores_get_the_four_workers_the_benchmark_measured() -> None:
    assert CALLS_PER_CORE == 8 and CALLS_PER_WORKER == 4
    assert recommended_workers(2) == 4
    assert recommended_workers(1) == 2
    assert recommended_workers(0) == 2  # unknown core count: as one core
    assert recommended_workers(3) == 6
    assert recommended_workers(1000) == MAX_WORKERS


def test_the_option_takes_a_number_or_auto() -> None:
    assert workers_argument("3") == 3
    assert workers_argument("auto") == AUTO_WORKERS
    for wrong in ("many", "0", "-2"):
        with pytest.raises(argparse.ArgumentTypeError):
            workers_argument(wrong)


def test_auto_follows_the_measured_cost_of_the_recogniser_in_use(settings: Settings, tmp_path: Path) -> None:
    assert recommended_workers(2, "whisper") == 1  # 2 calls per core: 4 calls, one worker
    assert recommended_workers(8, "whisper") == 4
    assert recommended_workers(2, "vosk") == recommended_workers(2) == 4
    # The shipped configuration prefers vosk, whose German model is not installed here: Whisper runs.
    assert not settings.resolve_data(settings.asr.vosk_model).is_dir()
    assert asr_engine_in_use(settings) == "whisper"
    assert workers_for(settings, AUTO_WORKERS, cores=2) == 1
    assert workers_for(settings, 3, cores=2) == 3  # a number is the admin's choice
    model = tmp_path / "vosk-model"
    model.mkdir()
    vosk = dataclasses.replace(settings, asr=dataclasses.replace(settings.asr, vosk_model=str(model)))
    assert asr_engine_in_use(vosk) == "vosk"
    assert workers_for(vosk, AUTO_WORKERS, cores=2) == 4
    whisper_only = dataclasses.replace(settings, asr=dataclasses.replace(settings.asr, engines=("whisper",)))
    assert asr_engine_in_use(whisper_only) == "whisper"


def test_workers_share_the_cores_when_whisper_threads_are_automatic(settings: Settings) -> None:
    assert settings.asr.whisper_threads == 0
    assert share_cores(settings, 4, 2).asr.whisper_threads == 1  # four processes on two cores: one thread each
    assert share_cores(settings, 2, 8).asr.whisper_threads == 4  # at most 4, as without workers
    assert share_cores(settings, 3, 1).asr.whisper_threads == 1  # never 0 (that would mean "one per core")
    assert share_cores(settings, 1, 2) is settings  # one process keeps its automatic thread per core
    fixed = dataclasses.replace(settings, asr=dataclasses.replace(settings.asr, whisper_threads=3))
    assert share_cores(fixed, 4, 2).asr.whisper_threads == 3  # a configured count is the admin's choice
    assert share_cores(settings, 4, 2).asr.whisper_workers == settings.asr.whisper_workers
