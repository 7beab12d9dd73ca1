"""The bot's own view of its receive side: the per-call "line:" log lines (``voicebot.telephony.call``).

Each call logs, when its stream ends, what pjmedia's jitter buffer did: ``jitter buffer delay mean N ms (min
A, max B)``. A jitter buffer that sits near its maximum means the caller's audio reaches the listener that
much late (it adds straight to the turn gap); :func:`summarise` turns a level's lines into a few numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LINE = re.compile(
    r"line: (\d+) packets received, (\d+) lost, (\d+) discarded, jitter mean (\d+) ms; "
    r"jitter buffer delay mean (\d+) ms \(min (\d+), max (\d+)\)"
)
"""One call's line-health log line."""
BACKLOG = re.compile(r"caller audio backlog at most (\d+) frames")
"""One call's largest queue of caller frames waiting for its session (logged by ``voicebot.call.switch`` when the call ends)."""
FULL_MS = 400
"""A call whose jitter buffer delay averaged this much or more counts as "buffer full" (milliseconds)."""


@dataclass(frozen=True)
class LineHealth:
    """The jitter buffers of the calls of one level, from the bot's log."""

    calls: int
    """Calls that logged their line health."""
    mean_delay_ms: float | None
    """Mean over the calls of each call's mean jitter buffer delay (milliseconds)."""
    max_delay_ms: int | None
    """Largest jitter buffer delay any call saw (milliseconds)."""
    full_calls: int
    """Calls whose mean delay was at least :data:`FULL_MS`."""
    discarded: int
    """Packets the jitter buffers discarded, summed."""
    max_backlog_frames: int | None = None
    """Largest queue of caller frames waiting for a session (the listener behind the line), over the calls."""


def summarise(lines: Iterable[str]) -> LineHealth:
    """The line-health lines among ``lines`` in a few numbers."""
    lines = list(lines)
    found = [match for line in lines if (match := LINE.search(line))]
    backlogs = [int(match[1]) for line in lines if (match := BACKLOG.search(line))]
    backlog = max(backlogs) if backlogs else None
    if not found:
        return LineHealth(0, None, None, 0, 0, backlog)
    means = [int(m[5]) for m in found]
    return LineHealth(
        len(found),
        sum(means) / len(means),
        max(int(m[7]) for m in found),
        sum(1 for mean in means if mean >= FULL_MS),
        sum(int(m[3]) for m in found),
        backlog,
    )
