"""The ``voicebot`` command: one subcommand per stage.

Each subcommand lives in its own module ``voicebot.cli.<name>`` (imported only when used, so that a
missing engine never breaks the others) with ``add_arguments(parser)`` and ``run(args) -> int``. Other
distributions add subcommands through the entry-point group ``voicebot.commands`` (the benchmark,
``pip install ./bench``, adds ``voicebot bench``); the product itself imports none of them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from importlib import metadata

from voicebot.cli.logs import formatter
from voicebot.errors import VoicebotError

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module, one-line help)
    "check": ("check", "validate the configuration, FAQ base, prompts and grammar; list every problem"),
    "match": ("match", "what the bot would do with a typed sentence (--json for machines)"),
    "grammar": ("grammar", "print the recogniser vocabulary/phrase list built from the FAQ base"),
    "transcribe": ("transcribe", "recognise a WAV file with the configured ASR engine"),
    "say": ("say", "speak a text with the configured TTS engine into a WAV file"),
    "prerender": ("prerender", "pre-render all fixed prompts and FAQ answers into the TTS cache"),
    "simulate": ("simulate", "run WAV files or typed turns through the whole pipeline as one call"),
    "models": ("models", "list the speech models or fetch the official German ones"),
    "run": ("run", "answer SIP calls (and serve the web app with --web)"),
    "web": ("web", "serve the switchboard and admin web app"),
    "users": ("users", "create web app accounts (the first admin, staff)"),
    "records": ("records", "list call records, apply the retention period"),
    "deploy": ("deploy", "lay out a server: /etc/voicebot, /var/lib/voicebot, the systemd units (never overwrites)"),
}
PLUGIN_GROUP = "voicebot.commands"
"""Entry-point group of subcommands from other distributions (value: a module with add_arguments/run)."""
OPTIONAL: dict[str, tuple[str, str]] = {
    # name: (distribution that provides it, one-line help)
    "bench": ("./bench (voicebot-bench)", "benchmarks: accuracy, engines, turn gap, capacity"),
}


def _plugins() -> dict[str, metadata.EntryPoint]:
    return {entry.name: entry for entry in metadata.entry_points(group=PLUGIN_GROUP)}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand (modules imported lazily at run time)."""
    parser = argparse.ArgumentParser(prog="voicebot", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "-c",
        "--config",
        default=None,
        help="configuration file (default: $VOICEBOT_CONFIG, else ./voicebot.toml, else /etc/voicebot/voicebot.toml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"voicebot {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    for name, (_dist, help_text) in OPTIONAL.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def version() -> str:
    """The installed distribution's version (the source's when run from a checkout that is not installed)."""
    try:
        return metadata.version("voicebot")
    except metadata.PackageNotFoundError:
        from voicebot import __version__

        return __version__


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """``-c FILE``/``--config FILE``/``--config=FILE`` and ``-v``/``--verbose`` moved in front of the subcommand,
    wherever they stand (up to a ``--``), so that ``voicebot run -c /etc/voicebot/voicebot.toml`` works too."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg in ("-c", "--config") and index + 1 < len(args):
            front += [arg, args[index + 1]]
            index += 2
            continue
        if (
            arg.startswith("--config=")
            or (arg.startswith("-c") and len(arg) > 2 and not arg.startswith("--"))
            or arg in ("-v", "--verbose")
        ):
            front.append(arg)
        else:
            rest.append(arg)
        index += 1
    return front + rest


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``voicebot`` console script."""
    args_list = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    known, rest = parser.parse_known_args(args_list)
    if known.command is None:
        parser.print_help()
        return 2
    try:
        if known.command in COMMANDS:
            module_name, help_text = COMMANDS[known.command]
            module = importlib.import_module(f"voicebot.cli.{module_name}")
        else:
            dist, help_text = OPTIONAL[known.command]
            plugin = _plugins().get(known.command)
            if plugin is None:
                print(
                    f"voicebot {known.command}: not installed; install it with `pip install {dist.split()[0]}`",
                    file=sys.stderr,
                )
                return 2
            module = plugin.load()
    except ModuleNotFoundError as error:
        print(f"voicebot {known.command}: not available ({error})", file=sys.stderr)
        return 2
    sub = argparse.ArgumentParser(prog=f"voicebot {known.command}", description=help_text)
    module.add_arguments(sub)
    args = sub.parse_args(rest)
    args.config = known.config
    args.verbose = known.verbose
    logging.basicConfig(level=logging.DEBUG if known.verbose else logging.INFO, stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter())  # journald: no own timestamp, level as syslog priority
    try:
        return int(module.run(args))
    except VoicebotError as error:
        print(f"voicebot {known.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
