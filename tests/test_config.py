"""Configuration: the example loads; every problem in a broken file is reported at once with its line."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from voicebot.config.hours import describe_next_opening, describe_week, is_open, next_opening
from voicebot.config.load import load_settings, settings_from_dict
from voicebot.config.settings import Settings
from voicebot.errors import ConfigError

from .conftest import ROOT


def test_example_configuration_loads(settings: Settings) -> None:
    assert settings.district["name"]
    assert "zentrale" in settings.departments
    assert settings.resolve("var/x").is_absolute()


def _broken(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(tomllib.loads(text), Path("voicebot.toml"), text)
    return caught.value


def test_every_problem_is_reported_with_line_and_field() -> None:
    text = (ROOT / "voicebot.toml").read_text(encoding="utf-8")
    text = text.replace("port = 5070", "port = 99999").replace("aggressiveness = 2", "aggressiveness = 7")
    text = text.replace('engines = ["piper", "espeak"]', 'engines = ["festival"]')
    error = _broken(text)
    fields = {p.field for p in error.problems}
    assert fields == {"sip.port", "vad.aggressiveness", "tts.engines"}
    lines = text.splitlines()
    for problem in error.problems:
        assert problem.line is not None
        key = problem.field.split(".")[1]
        assert lines[problem.line - 1].lstrip().startswith(key)


def test_unknown_keys_wrong_types_and_bad_hours() -> None:
    text = """
[district]
name = "Landratsamt Test"
[sip]
prot = 5060
max_calls = "viele"
[departments.zentrale]
target = "zentrale@pbx"
[departments.bauamt]
target = "sip:bauamt@pbx"
hours = { mon = "12:00-08:00", funday = "08:00-09:00" }
"""
    fields = sorted(p.field for p in _broken(text).problems)
    assert fields == [
        "departments.bauamt.hours",
        "departments.bauamt.hours",
        "departments.zentrale.target",
        "sip.max_calls",
        "sip.prot",
    ]


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nothing\.toml"):
        load_settings(tmp_path / "nothing.toml")


BERLIN = dt.timezone(dt.timedelta(hours=1))


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN), True),  # Monday morning
        (dt.datetime(2026, 11, 23, 12, 0, tzinfo=BERLIN), False),  # closes at 12:00 (end exclusive)
        (dt.datetime(2026, 11, 26, 14, 0, tzinfo=BERLIN), True),  # Thursday afternoon
        (dt.datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN), False),  # Saturday
        (dt.datetime(2026, 12, 24, 9, 0, tzinfo=BERLIN), False),  # Christmas Eve, a Thursday: closed day
    ],
)
def test_opening_hours(settings: Settings, moment: dt.datetime, open_: bool) -> None:
    dep = settings.departments["zulassung"]
    assert is_open(dep.hours, (*settings.closed, *dep.closed), moment) is open_


def test_next_opening_is_described_in_german(settings: Settings) -> None:
    dep = settings.departments["zulassung"]
    friday_evening = dt.datetime(2026, 11, 27, 18, 0, tzinfo=BERLIN)
    opening = next_opening(dep.hours, settings.closed, friday_evening)
    assert opening == dt.datetime(2026, 11, 30, 7, 30, tzinfo=BERLIN)
    assert describe_next_opening(opening, friday_evening) == "am Montag um 7:30 Uhr"
    assert describe_week(dep.hours).startswith("Montag bis Mittwoch von 7:30 Uhr bis 12 Uhr; Donnerstag")


def test_the_default_configuration_comes_from_the_environment_then_the_folder_then_etc(tmp_path: Path) -> None:
    from voicebot.config.load import default_config

    named, system = tmp_path / "named.toml", tmp_path / "etc" / "voicebot.toml"
    assert default_config({"VOICEBOT_CONFIG": str(named)}, tmp_path, system) == named
    assert default_config({}, tmp_path, system) == tmp_path / "voicebot.toml"  # nothing anywhere: the folder's, named
    system.parent.mkdir()
    system.write_text("", encoding="utf-8")
    assert default_config({}, tmp_path, system) == system  # an installed server
    (tmp_path / "voicebot.toml").write_text("", encoding="utf-8")
    assert default_config({}, tmp_path, system) == tmp_path / "voicebot.toml"  # a checkout's file wins
