"""Every subcommand's options build: a clash between two options breaks the whole command at start."""

from __future__ import annotations

import argparse
import importlib
from importlib import metadata

import pytest

from voicebot.cli import COMMANDS, PLUGIN_GROUP


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_product_subcommand_builds_its_options(name: str) -> None:
    module = importlib.import_module(f"voicebot.cli.{COMMANDS[name][0]}")
    parser = argparse.ArgumentParser(prog=f"voicebot {name}")
    module.add_arguments(parser)
    assert parser.format_help().startswith(f"usage: voicebot {name}")


def test_each_plugin_subcommand_builds_its_options() -> None:
    entries = {entry.name: entry for entry in metadata.entry_points(group=PLUGIN_GROUP)}
    assert "bench" in entries, "the benchmark distribution (./bench) is installed in the test environment"
    for name, entry in entries.items():
        parser = argparse.ArgumentParser(prog=f"voicebot {name}")
        entry.load().add_arguments(parser)
        assert parser.format_help().startswith(f"usage: voicebot {name}")
