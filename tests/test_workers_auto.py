"""``voicebot run --workers auto``: workers from the measured calls per core (``voicebot.call.workers``)."""

from __future__ import annotations

import argparse
import dataclasses
import os

import pytest

from voicebot.call.workers import CALLS_PER_CORE, CALLS_PER_WORKER, MAX_WORKERS, recommended_workers, share_cores
from voicebot.cli.run import workers_argument
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
    assert workers_argument("auto") == recommended_workers(os.cpu_count() or 1)
    with pytest.raises(argparse.ArgumentTypeError):
        workers_argument("many")


def test_workers_share_the_cores_when_whisper_threads_are_automatic(settings: Settings) -> None:
    assert settings.asr.whisper_threads == 0
    assert share_cores(settings, 4, 2).asr.whisper_threads == 1  # four processes on two cores: one thread each
    assert share_cores(settings, 2, 8).asr.whisper_threads == 4  # at most 4, as without workers
    assert share_cores(settings, 3, 1).asr.whisper_threads == 1  # never 0 (that would mean "one per core")
    assert share_cores(settings, 1, 2) is settings  # one process keeps its automatic thread per core
    fixed = dataclasses.replace(settings, asr=dataclasses.replace(settings.asr, whisper_threads=3))
    assert share_cores(fixed, 4, 2).asr.whisper_threads == 3  # a configured count is the admin's choice
    assert share_cores(settings, 4, 2).asr.whisper_workers == settings.asr.whisper_workers
