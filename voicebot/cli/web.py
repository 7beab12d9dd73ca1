"""``voicebot web``: serve the switchboard and admin web app on ``[web] host``/``port`` until SIGINT/SIGTERM.

Reads and writes the same record store as ``voicebot run``; content edits land in the content files.
Create the first account with ``voicebot users add NAME --role admin``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicebot web``."""
    parser.add_argument("--host", default=None, help="listen address (overrides [web] host)")
    parser.add_argument("--port", type=int, default=None, help="TCP port (overrides [web] port)")


def run(args: argparse.Namespace) -> int:
    """Serve until a signal arrives."""
    settings = load_settings(args.config)
    changes = {key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}
    if changes:
        settings = dataclasses.replace(settings, web=dataclasses.replace(settings.web, **changes))
    asyncio.run(_main(settings))
    return 0


async def _main(settings: Settings) -> None:
    from voicebot.sdnotify import service_notifications
    from voicebot.web.server import serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    listening = asyncio.Event()
    notifications = loop.create_task(service_notifications(listening, stop), name="systemd")
    try:
        await serve(settings, stop, listening=listening)
    finally:
        stop.set()
        await notifications
