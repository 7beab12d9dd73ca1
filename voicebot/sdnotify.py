"""systemd's notification protocol, the few lines of it the bot needs: ``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``.

A service with ``Type=notify`` gets ``$NOTIFY_SOCKET`` (a Unix datagram socket; a leading ``@`` means the
abstract namespace); each message is one datagram of ``KEY=VALUE`` lines. With ``WatchdogSec=`` systemd sets
``$WATCHDOG_USEC`` and restarts the service when no ``WATCHDOG=1`` arrives within that time. Outside systemd
(no ``$NOTIFY_SOCKET``) every call is a no-op. No dependency: ``sd_notify(3)`` is this simple on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from typing import Final

_LOGGER: Final = logging.getLogger("voicebot.sdnotify")


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``message`` (e.g. ``READY=1``) to systemd; False when not run by systemd or the send failed."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    elif not address.startswith("/"):
        return False  # vsock and other transports: not used on a Debian server
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.setblocking(False)  # never block the event loop: a full queue drops the message (logged)
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as error:
        _LOGGER.warning("systemd notification %r not sent: %s", message, error)
        return False
    return True


def watchdog_seconds(environ: Mapping[str, str] | None = None, pids: tuple[int, ...] | None = None) -> float | None:
    """The watchdog timeout systemd expects pings within (seconds), or None when there is no watchdog for us.

    ``$WATCHDOG_PID``, when set, must be this process or its parent (a ``--workers`` child pings for the
    supervisor; the unit then has ``NotifyAccess=all``).
    """
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    if usec <= 0:
        return None
    owner = env.get("WATCHDOG_PID", "")
    mine = (os.getpid(), os.getppid()) if pids is None else pids
    if owner and owner.isdigit() and int(owner) not in mine:
        return None
    return usec / 1_000_000


async def keep_watchdog(
    stop: asyncio.Event,
    timeout_s: float,
    healthy: Callable[[], bool] = lambda: True,
    send: Callable[[str], bool] = notify,
) -> int:
    """Ping ``WATCHDOG=1`` every ``timeout_s / 3`` from the event loop until ``stop``; returns the pings sent.

    A ping goes out only while the loop keeps time (it woke up within the timeout) and ``healthy()``: a blocked
    loop or an unhealthy bot stops the pings, and systemd restarts the service.
    """
    period = max(timeout_s / 3, 0.05)
    sent = 0
    due = time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        late = now - due
        if late < timeout_s / 2 and healthy():
            sent += int(send("WATCHDOG=1"))
        elif late >= timeout_s / 2:
            _LOGGER.warning("event loop was blocked %.1f s: no watchdog ping", late)
        due = now + period
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), period)
    return sent


async def service_notifications(
    listening: asyncio.Event,
    stop: asyncio.Event,
    healthy: Callable[[], bool] = lambda: True,
    environ: Mapping[str, str] | None = None,
) -> None:
    """``READY=1`` once ``listening`` is set (SIP listens), then the watchdog pings until ``stop``."""
    waiting = asyncio.ensure_future(listening.wait())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait((waiting, stopping), return_when=asyncio.FIRST_COMPLETED)
    for task in (waiting, stopping):
        task.cancel()
    if stop.is_set():
        return
    env = os.environ if environ is None else environ
    notify("READY=1\nSTATUS=answering calls", env)
    timeout = watchdog_seconds(env)
    if timeout is not None:
        await keep_watchdog(stop, timeout, healthy, lambda message: notify(message, env))
    notify("STOPPING=1", env)


__all__ = ["keep_watchdog", "notify", "service_notifications", "watchdog_seconds"]
