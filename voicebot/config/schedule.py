"""Warnings about the opening-hours set-up as a whole, for ``voicebot check``. Pure: today is passed in."""

from __future__ import annotations

import datetime as dt

from voicebot.config.calendar import calendar_warnings
from voicebot.config.settings import Settings


def schedule_warnings(settings: Settings, today: dt.date) -> list[tuple[str, str]]:
    """(field, message) for closed days that run out within a year and departments without any opening hours."""
    found = [("calendar", message) for message in calendar_warnings(settings.closed_days(), today)]
    for dep_id, dep in settings.departments.items():
        if not any(dep.hours.days):
            found.append(
                (
                    f"departments.{dep_id}.hours",
                    "no opening hours: the bot tells every caller this department is closed "
                    '(add hours like { mon = "08:00-12:00" })',
                )
            )
    return found


__all__ = ["schedule_warnings"]
