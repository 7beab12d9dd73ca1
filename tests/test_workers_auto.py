"""``voicebot run --workers auto``: workers from the measured calls per core (``voicebot.call.workers``)."""

from __future__ import annotations

import argparse
import os

import pytest

from voicebot.call.workers import CALLS_PER_CORE, CALLS_PER_WORKER, MAX_WORKERS, recommended_workers
from voicebot.cli.run import workers_argument


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
