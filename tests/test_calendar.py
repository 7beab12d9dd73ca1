"""Closed days from the maintained holiday calendar plus the district's own days, and ``voicebot check``'s warnings."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from voicebot.config.calendar import ClosedDays, calendar_warnings, closed_reason, is_closed_day
from voicebot.config.hours import is_open, next_opening
from voicebot.config.load import load_settings
from voicebot.config.schedule import schedule_warnings
from voicebot.config.settings import Settings
from voicebot.dialogue.types import DialogueContext
from voicebot.errors import ConfigError

from .conftest import ROOT

BERLIN = dt.timezone(dt.timedelta(hours=1))


def test_christmas_eve_2027_is_the_districts_own_closed_day_every_year() -> None:
    assert closed_reason(dt.date(2027, 12, 24), "BY", ("12-24", "12-31")) == "Schließtag"
    assert closed_reason(dt.date(2027, 12, 24), "BY", ()) is None  # not a public holiday
    assert is_closed_day(dt.date(2031, 12, 31), "BY", ("12-24", "12-31"))


def test_whit_monday_2028_is_closed_in_bavaria_and_a_normal_tuesday_is_not() -> None:
    assert closed_reason(dt.date(2028, 6, 5), "BY", ()) == "Pfingstmontag"
    assert closed_reason(dt.date(2028, 6, 15), "BY", ()) == "Fronleichnam"  # Bavaria, not Berlin
    assert closed_reason(dt.date(2028, 6, 15), "BE", ()) is None
    assert not is_closed_day(dt.date(2028, 6, 13), "BY", ("12-24", "12-31"))  # a Tuesday


def test_a_one_off_day_counts_once_and_no_calendar_means_only_the_list() -> None:
    bridge = ClosedDays("DE", "BY", ("public",), ("2027-05-07",))
    assert dt.date(2027, 5, 7) in bridge and dt.date(2028, 5, 7) not in bridge
    bare = ClosedDays(country="", extras=("2027-05-07",))
    assert dt.date(2028, 6, 5) not in bare and "2027-05-07" in bare


def test_the_shipped_configuration_opens_and_closes_by_the_calendar(settings: Settings) -> None:
    dep = settings.departments["zulassung"]
    closed = settings.closed_days(dep.closed)
    assert not is_open(dep.hours, closed, dt.datetime(2027, 12, 24, 9, 0, tzinfo=BERLIN))  # a Friday
    assert not is_open(dep.hours, closed, dt.datetime(2028, 6, 5, 9, 0, tzinfo=BERLIN))  # Whit Monday
    assert is_open(dep.hours, closed, dt.datetime(2028, 6, 13, 9, 0, tzinfo=BERLIN))  # a Tuesday
    # after Pentecost Sunday, Whit Monday is skipped: the next opening is Tuesday morning
    opening = next_opening(dep.hours, closed, dt.datetime(2028, 6, 4, 12, 0, tzinfo=BERLIN))
    assert opening == dt.datetime(2028, 6, 6, 7, 30, tzinfo=BERLIN)


def test_the_dialogue_context_carries_the_calendar(settings: Settings) -> None:
    from voicebot.content.load import load_content

    ctx = DialogueContext.from_settings(settings, load_content(settings), dt.datetime(2028, 6, 5, 9, tzinfo=BERLIN))
    assert dt.date(2028, 6, 5) in ctx.schedules["jugendamt"].closed  # type: ignore[operator]


def _config(tmp_path: Path, edit: dict[str, object]) -> Path:
    document = tomlkit.parse((ROOT / "voicebot.toml").read_text(encoding="utf-8"))
    for dotted, value in edit.items():
        *parents, key = dotted.split(".")
        table = document
        for part in parents:
            table = table[part]  # type: ignore[assignment]
        table[key] = value
    for key in ("faq", "departments", "prompts"):
        document["content"][key] = str(ROOT / str(document["content"][key]))  # type: ignore[index]
    path = tmp_path / "voicebot.toml"
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return path


def test_an_unknown_state_or_bad_day_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_config(tmp_path, {"calendar.state": "XX", "closed": ["24.12."]}))
    fields = {problem.field: problem.message for problem in caught.value.problems}
    assert "BY" in fields["calendar.state"] and "'XX'" in fields["calendar.state"]
    assert "12-24 (every year)" in fields["closed"]


def test_warnings_when_the_calendar_runs_out_or_a_department_has_no_hours(tmp_path: Path) -> None:
    today = dt.date(2027, 3, 1)
    listed = ClosedDays(country="", extras=("2027-11-01", "12-24"))
    (warning,) = calendar_warnings(listed, today)
    assert "end 2027-11-01" in warning and "[calendar] state" in warning
    assert calendar_warnings(ClosedDays(country="", extras=("2028-06-05",)), today) == []
    assert calendar_warnings(ClosedDays("DE", "BY", ("public",), ("12-24",)), today) == []

    path = _config(tmp_path, {"calendar.country": "", "closed": ["2027-11-01"], "departments.bauamt.hours": {}})
    settings = load_settings(path)
    found = dict(schedule_warnings(settings, today))
    assert set(found) == {"calendar", "departments.bauamt.hours"}
    check = subprocess.run(
        [sys.executable, "-m", "voicebot", "-c", str(path), "check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr
    lines = [line for line in check.stdout.splitlines() if "[calendar]" in line or "bauamt.hours" in line]
    assert len(lines) == 2 and all("warning:" in line for line in lines), check.stdout
    assert "voicebot.toml:" in lines[0]  # with the line number
