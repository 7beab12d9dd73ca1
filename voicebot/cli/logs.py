"""Log format: plain lines with a timestamp on a terminal, syslog priorities for journald.

Under systemd, stderr is the journal (``$JOURNAL_STREAM`` names its device and inode): journald stamps every
line itself, so no timestamp of our own, and each line starts with its level as a syslog priority
(``<3>`` error, ``<4>`` warning, ``<6>`` info, ``<7>`` debug), which journald stores as the entry's priority
(``journalctl -p warning`` then filters).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Final

PRIORITIES: Final = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}
"""Python level -> syslog priority (a level in between takes the one of the level below it)."""


def priority(level: int) -> int:
    """The syslog priority of a Python log level."""
    for threshold in sorted(PRIORITIES, reverse=True):
        if level >= threshold:
            return PRIORITIES[threshold]
    return 7


def stderr_is_journal(environ: dict[str, str] | None = None, fd: int | None = None) -> bool:
    """Whether stderr is connected to journald (``$JOURNAL_STREAM`` = ``device:inode`` of stderr)."""
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    if not value:
        return False
    try:
        device, inode = (int(part) for part in value.split(":", 1))
        info = os.fstat(sys.stderr.fileno() if fd is None else fd)
    except (ValueError, OSError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (device, inode)


class JournalFormatter(logging.Formatter):
    """``<priority>[label ]logger: message``; tracebacks indented on the following lines."""

    def __init__(self, label: str = "") -> None:
        super().__init__(f"{label + ' ' if label else ''}%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in text.splitlines())


def formatter(label: str = "", *, journal: bool | None = None) -> logging.Formatter:
    """The formatter for stderr: journald's when stderr is the journal, else with a timestamp."""
    if journal if journal is not None else stderr_is_journal():
        return JournalFormatter(label)
    return logging.Formatter(f"%(asctime)s {label + ' ' if label else ''}%(levelname)s %(name)s: %(message)s")


__all__ = ["JournalFormatter", "formatter", "priority", "stderr_is_journal"]
