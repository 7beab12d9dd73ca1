"""Render the caller fixtures of ``manifest.yaml`` into WAV files, reproducibly.

    .venv/bin/python audio_fixtures/generate.py            # all cases
    .venv/bin/python audio_fixtures/generate.py ID [ID …]  # some cases

Speech: espeak-ng (voice profile of the case: variant, speed, pitch) -> sox (16 kHz mono 16-bit, 0.3 s
lead-in, 0.6 s tail, normalised to -3 dBFS, no dither) -> ``16k/<id>.wav``. The telephone version is the
16 kHz audio band-limited to 300–3400 Hz (sox ``sinc``), taken through ``voicebot.audio.telephone_band``
(8 kHz, G.711 A-law) and written as an A-law WAV -> ``8k_alaw/<id>.wav``. Silence is digital zero; noise
comes from numpy with the case's seed. espeak-ng and sox run with fixed argument lists, never a shell.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from voicebot_bench.fixtures import Fixture, Manifest, Voice, load_manifest  # noqa: E402

from voicebot.audio import alaw_wav_bytes, read_wav, telephone_band, wav_bytes  # noqa: E402

RATE = 16000
"""Rate of the wideband version (hertz)."""
LEAD_S = 0.3
"""Silence before the speech (seconds)."""
TAIL_S = 0.6
"""Silence after the speech (seconds)."""


def _run(argv: list[str], data: bytes = b"") -> bytes:
    """Run a tool with a fixed argument list; its stdout."""
    result = subprocess.run(argv, input=data, capture_output=True, check=False, timeout=60)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise SystemExit(f"{argv[0]} failed ({result.returncode}): {message}")
    return result.stdout


def speak(text: str, voice: Voice) -> bytes:
    """16 kHz 16-bit mono PCM of ``text`` spoken by espeak-ng, padded and normalised by sox."""
    espeak = ["espeak-ng", "-v", voice.voice, "-s", str(voice.speed), "-p", str(voice.pitch), "--stdout", text]
    wav = _run(espeak)
    sox = ["sox", "-D", "-R", "-t", "wav", "-", "-t", "wav", "-r", str(RATE), "-b", "16", "-c", "1", "-"]
    sox += ["pad", str(LEAD_S), str(TAIL_S), "gain", "-n", "-3"]
    pcm, rate = read_wav(_run(sox, wav))
    assert rate == RATE
    return pcm


def band_limit(pcm16k: bytes) -> bytes:
    """The 300–3400 Hz telephone band of 16 kHz PCM (sox sinc filter)."""
    sox = ["sox", "-D", "-R", "-t", "wav", "-", "-t", "wav", "-b", "16", "-", "sinc", "300-3400"]
    pcm, _rate = read_wav(_run(sox, wav_bytes(pcm16k, RATE)))
    return pcm


def noise(case: Fixture) -> bytes:
    """Seeded noise: white hiss, or 50 Hz mains hum with harmonics under a little hiss."""
    rng = np.random.default_rng(case.seed)
    count = int(case.seconds * RATE)
    if case.noise == "hum":
        t = np.arange(count) / RATE
        signal = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 2, 3, 5))
        signal = signal + 0.1 * rng.standard_normal(count)
    else:
        signal = rng.standard_normal(count)
    signal = signal / (np.sqrt(np.mean(signal**2)) or 1.0)
    scaled = signal * 32768 * 10 ** (case.level_dbfs / 20)
    return np.clip(scaled, -32768, 32767).astype("<i2").tobytes()


def render(case: Fixture, manifest: Manifest) -> bytes:
    """16 kHz PCM of one case."""
    if case.kind == "silence":
        return b"\x00\x00" * int(case.seconds * RATE)
    if case.kind == "noise":
        return noise(case)
    return speak(case.text, manifest.voices[case.voice])


def write_case(case: Fixture, manifest: Manifest) -> tuple[Path, Path]:
    """Write both versions of one case; their paths."""
    wide = render(case, manifest)
    narrow = telephone_band(band_limit(wide), RATE, "alaw")
    path16, path8 = case.path("16k", manifest.root), case.path("8k", manifest.root)
    path16.parent.mkdir(parents=True, exist_ok=True)
    path8.parent.mkdir(parents=True, exist_ok=True)
    path16.write_bytes(wav_bytes(wide, RATE))
    path8.write_bytes(alaw_wav_bytes(narrow))
    return path16, path8


def main(argv: list[str] | None = None) -> int:
    """Render all (or the named) cases; remove WAVs of cases no longer in the manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("ids", nargs="*", help="case ids (default: all)")
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
