"""``voicebot grammar``: the recogniser phrase list built from the FAQ base.

Without options one phrase per line; ``--json`` prints vosk's grammar JSON. With ``--vosk-model DIR`` the
phrases are reduced to the words the model knows (its ``words.txt``) and the missing words are listed on
stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voicebot.config.load import load_settings
from voicebot.errors import ConfigError, Problem
from voicebot.listen.grammar import missing_words, phrases, vosk_grammar


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicebot grammar``."""
    parser.add_argument("--json", action="store_true", help="print vosk's grammar JSON list")
    parser.add_argument("--vosk-model", type=Path, default=None, help="vosk model folder (uses its words.txt)")


def model_words(model_dir: Path) -> set[str]:
    """Words of a vosk model (first column of ``words.txt`` anywhere below ``model_dir``)."""
    files = sorted(model_dir.rglob("words.txt"))
    if not files:
        raise ConfigError(
            [Problem(str(model_dir), None, "--vosk-model", "no words.txt below this folder; is it a vosk model?")]
        )
    words: set[str] = set()
    with files[0].open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if parts:
                words.add(parts[0])
    return words


def run(args: argparse.Namespace) -> int:
    """Print the phrase list; 0 on success."""
    from voicebot.content.load import load_content

    settings = load_settings(args.config)
    content = load_content(settings)
    known = model_words(args.vosk_model) if args.vosk_model is not None else None
    if args.json:
        print(vosk_grammar(content, known))
    else:
        for phrase in phrases(content):
            print(phrase)
    if known is not None:
        missing = missing_words(content, known)
        print(f"{len(missing)} grammar words missing from the model: {' '.join(missing)}", file=sys.stderr)
    return 0
