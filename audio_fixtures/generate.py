"""Render the caller fixtures of ``manifest.yaml`` into WAV files, reproducibly.

    .venv/bin/python audio_fixtures/generate.py            # all cases
    .venv/bin/python audio_fixtures/generate.py ID [ID …]  # some cases
    .venv/bin/python audio_fixtures/generate.py --conditions var/fixtures   # also the generated conditions

Speech: espeak-ng (voice profile of the case: variant, speed, pitch) -> sox (16 kHz mono 16-bit, 0.3 s
lead-in, 0.6 s tail, normalised to -3 dBFS, no dither) -> ``16k/<id>.wav``. The telephone version is the
16 kHz audio band-limited to 300–3400 Hz (sox ``sinc``), taken through ``voicebot.audio.telephone_band``
(8 kHz, G.711 A-law) and written as an A-law WAV -> ``8k_alaw/<id>.wav``. Silence is digital zero; noise
comes from numpy with the case's seed. espeak-ng and sox run with fixed argument lists, never a shell.

The other line conditions (every case in the manifest's ``sweep_voices``; G.722, line noise, packet loss:
``voicebot_bench.fixture_audio.CONDITIONS``) are not committed: ``voicebot bench accuracy`` makes them from
the manifest at run time, the same bytes every time. ``--conditions DIR`` writes them out to listen to
(``DIR/<condition>/<id>.wav``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "bench"))

from voicebot_bench.fixture_audio import (  # noqa: E402
    CONDITIONS,
    RATE,
    condition_audio,
    narrowband,
    render,
    sweep_voice,
)
from voicebot_bench.fixtures import Fixture, Manifest, load_manifest  # noqa: E402

from voicebot.audio import alaw_wav_bytes, wav_bytes  # noqa: E402


def write_case(case: Fixture, manifest: Manifest) -> tuple[Path, Path]:
    """Write both committed versions of one case; their paths."""
    wide = render(case, manifest)
    narrow = narrowband(wide)
    path16, path8 = case.path("16k", manifest.root), case.path("8k", manifest.root)
    path16.parent.mkdir(parents=True, exist_ok=True)
    path8.parent.mkdir(parents=True, exist_ok=True)
    path16.write_bytes(wav_bytes(wide, RATE))
    path8.write_bytes(alaw_wav_bytes(narrow))
    return path16, path8


def write_conditions(manifest: Manifest, wanted: set[str], out: Path) -> None:
    """Write every generated condition of the wanted cases below ``out``."""
    for index, case in enumerate(manifest.cases):
        if case.id not in wanted:
            continue
        for name, condition in CONDITIONS.items():
            voice = sweep_voice(manifest, index, name)
            pcm, rate = condition_audio(case, manifest, condition, voice)
            path = out / name / f"{case.id}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(wav_bytes(pcm, rate))
        print(f"{case.id:40} {', '.join(CONDITIONS)}")


def main(argv: list[str] | None = None) -> int:
    """Render all (or the named) cases; remove WAVs of cases no longer in the manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("ids", nargs="*", help="case ids (default: all)")
    parser.add_argument("--conditions", type=Path, default=None, metavar="DIR", help="also write the conditions")
    args = parser.parse_args(argv)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install espeak-ng sox", file=sys.stderr)
            return 2
    manifest = load_manifest(HERE / "manifest.yaml")
    wanted = set(args.ids) or {case.id for case in manifest.cases}
    unknown = wanted - {case.id for case in manifest.cases}
    if unknown:
        print(f"unknown case ids: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for case in manifest.cases:
        if case.id in wanted:
            path16, _path8 = write_case(case, manifest)
            print(f"{case.id:40} {path16.stat().st_size / 32000:5.1f} s  {case.text[:60]}")
    if not args.ids:
        known = {case.id for case in manifest.cases}
        for folder in ("16k", "8k_alaw"):
            for stale in sorted((HERE / folder).glob("*.wav")):
                if stale.stem not in known:
                    stale.unlink()
                    print(f"removed {stale.relative_to(HERE)} (no longer in the manifest)")
    if args.conditions is not None:
        write_conditions(manifest, wanted, args.conditions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
