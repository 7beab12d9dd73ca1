"""Retention in long-running processes: delete old records at start and then every few hours.

``voicebot run`` and ``voicebot web`` may run for months; purging only at start would keep records past
the retention period. ``keep_purging`` runs beside them until ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Final

from voicebot.errors import RecordsError
from voicebot.records.store import RecordStore

_LOGGER: Final = logging.getLogger(__name__)
PURGE_EVERY: Final = dt.timedelta(hours=6)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def keep_purging(
    store: RecordStore,
    retention_days: int,
    stop: asyncio.Event,
    *,
    clock: Callable[[], dt.datetime] = _utc_now,
    every: dt.timedelta = PURGE_EVERY,
    tz: dt.tzinfo = dt.UTC,
) -> int:
    """Purge now and every ``every`` until ``stop`` is set; returns the calls deleted in total.

    Purged calls are kept as daily counts of local days in ``tz`` (``records.aggregates``). A failed purge is logged and tried again next time (the web app and the bot keep running).
    """
    total = 0
    while not stop.is_set():
        try:
            total += await asyncio.to_thread(functools.partial(store.purge, clock(), retention_days, tz=tz))
        except RecordsError as error:
            _LOGGER.error("records could not be purged: %s", error)
        try:
            await asyncio.wait_for(stop.wait(), every.total_seconds())
        except TimeoutError:
            continue
    return total


__all__ = ["PURGE_EVERY", "keep_purging"]
