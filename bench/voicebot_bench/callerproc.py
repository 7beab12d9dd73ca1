"""Independent callers: every call in a process of its own, as real phones are.

The in-process caller (``sipcaller.place_calls``) paces 16 calls' RTP, logs their arrivals and runs their
scripts on one event loop; when that loop is late, all 16 streams are late together, so the bot sees
regular bursts instead of 16 independent phones. Here each call is one ``python -m
voicebot_bench.callerproc PLAN.json`` child with its own loop, sockets and clock: it places the call with
the same ``sipcaller.place_call`` (so the turn gap means the same: the send of the caller's last voiced RTP
frame → the kernel's receive time of the bot's first audible RTP frame, both in that child) and prints its
``CallReport`` as one JSON line.

The parent (:func:`place_calls_independent`) writes each plan (speech as raw PCM files), starts the
children, waits until the first wave has imported and bound its sockets ("ready"), then lets them dial
``stagger_s`` apart ("go" on stdin); later calls (beyond ``concurrency``) start as earlier ones end.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voicebot_bench.rtpstream import RtpQuality
from voicebot_bench.sipcaller import CallPlan, CallReport, Step, TurnGap, place_call, place_calls

CALLER_MODES = ("inprocess", "independent")
"""``--callers``: one event loop for every call, or one process per call."""
READY_TIMEOUT_S = 60.0
"""Longest wait for a caller process to start (imports on a loaded machine; seconds)."""


def plan_to_json(plan: CallPlan, folder: Path) -> dict[str, Any]:
    """``plan`` as JSON-ready data; speech goes into ``folder`` as raw PCM files named by their content."""
    steps = []
    for step in plan.steps:
        pcm_file = ""
        if step.pcm8k:
            path = folder / f"{hashlib.sha256(step.pcm8k).hexdigest()[:16]}.pcm"
            if not path.exists():
                path.write_bytes(step.pcm8k)
            pcm_file = str(path)
        steps.append({"label": step.label, "pcm_file": pcm_file, "digits": step.digits})
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan) if f.name != "steps"}
    return {**fields, "steps": steps}


def plan_from_json(data: dict[str, Any]) -> CallPlan:
    """The plan written by :func:`plan_to_json`."""
    steps = tuple(
        Step(
            str(s["label"]),
            Path(s["pcm_file"]).read_bytes() if s.get("pcm_file") else b"",
            str(s.get("digits", "")),
        )
        for s in data.get("steps", [])
    )
    fields = {f.name for f in dataclasses.fields(CallPlan)} - {"steps"}
    return CallPlan(steps=steps, **{key: value for key, value in data.items() if key in fields})


def write_plan(plan: CallPlan, folder: Path) -> Path:
    """``plan`` as a JSON file in ``folder`` (speech beside it); its path."""
    handle, name = tempfile.mkstemp(suffix=".json", dir=folder)
    os.close(handle)
    path = Path(name)
    path.write_text(json.dumps(plan_to_json(plan, folder)), encoding="utf-8")
    return path


def report_to_json(report: CallReport) -> dict[str, Any]:
    """``report`` as JSON-ready data."""
    return dataclasses.asdict(report)


def report_from_json(data: dict[str, Any]) -> CallReport:
    """The report written by :func:`report_to_json`."""
    quality = data.get("quality")
    fields = {f.name for f in dataclasses.fields(CallReport)} - {"turns", "quality"}
    return CallReport(
        **{key: value for key, value in data.items() if key in fields},
        turns=tuple(TurnGap(str(t["label"]), t["gap_ms"]) for t in data.get("turns", [])),
        quality=RtpQuality(**quality) if quality else None,
    )


def failed_report(error: str) -> CallReport:
    """The report of a caller process that gave no report."""
    return CallReport("", False, 0, 0.0, error=error)


async def _caller(plan: CallPlan, folder: Path, ready: asyncio.Event, go: asyncio.Event, host: str) -> CallReport:
    """One child process: start it, report "ready", wait for ``go``, collect its report."""
    path = write_plan(plan, folder)
    timeout = READY_TIMEOUT_S + plan.reply_timeout_s * (len(plan.steps) + 2) + plan.hold_s + 30.0
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "voicebot_bench.callerproc",
        str(path),
        host,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT_S)
        ready.set()
        if line.strip() != b"ready":
            return failed_report(f"caller process did not start: {line!r} {await process.stderr.read()!r}")
        await go.wait()
        process.stdin.write(b"go\n")
        await process.stdin.drain()
        out, err = await asyncio.wait_for(process.communicate(), timeout)
        lines = out.decode("utf-8", "replace").strip().splitlines()
        if process.returncode != 0 or not lines:
            return failed_report(f"caller process exit {process.returncode}: {err.decode('utf-8', 'replace')[-500:]}")
        return report_from_json(json.loads(lines[-1]))
    except TimeoutError:
        return failed_report("caller process timed out")
    finally:
        ready.set()
        if process.returncode is None:
            process.kill()
            with contextlib.suppress(ProcessLookupError):
                await process.wait()


async def place_calls_independent(
    plans: Sequence[CallPlan], concurrency: int, stagger_s: float = 0.0, host: str = "127.0.0.1"
) -> list[CallReport]:
    """Like ``sipcaller.place_calls``, each call in its own process; the first ``concurrency`` calls dial
    ``stagger_s`` apart once all of them are ready, later ones as soon as a running call ends."""
    gate = asyncio.Semaphore(max(1, concurrency))
    first = min(len(plans), max(1, concurrency))
    readies = [asyncio.Event() for _plan in plans]
    gos = [asyncio.Event() for _plan in plans]

    async def release() -> None:
        await asyncio.gather(*(event.wait() for event in readies[:first]))
        for index in range(first):
            gos[index].set()
            await asyncio.sleep(stagger_s)
        for event in gos[first:]:
            event.set()

    with tempfile.TemporaryDirectory(prefix="voicebot-callers-") as name:
        folder = Path(name)

        async def one(index: int, plan: CallPlan) -> CallReport:
            async with gate:
                return await _caller(plan, folder, readies[index], gos[index], host)

        releaser = asyncio.ensure_future(release())
        try:
            return list(await asyncio.gather(*(one(i, p) for i, p in enumerate(plans))))
        finally:
            releaser.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await releaser


async def place_calls_by(
    mode: str, plans: Sequence[CallPlan], concurrency: int, stagger_s: float = 0.0, host: str = "127.0.0.1"
) -> list[CallReport]:
    """``place_calls`` with the callers of ``mode`` (:data:`CALLER_MODES`)."""
    if mode == "independent":
        return await place_calls_independent(plans, concurrency, stagger_s, host)
    if mode != "inprocess":
        raise ValueError(f"unknown caller mode {mode!r} (one of {', '.join(CALLER_MODES)})")
    return await place_calls(list(plans), concurrency, stagger_s, host)


async def _child(plan: CallPlan, host: str) -> CallReport:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("ready", flush=True)
    await reader.readline()
    return await place_call(plan, host)


def main(argv: Sequence[str]) -> int:
    """``python -m voicebot_bench.callerproc PLAN.json [HOST]``: one call; its report as the last line."""
    plan = plan_from_json(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    host = argv[1] if len(argv) > 1 else "127.0.0.1"
    report = asyncio.run(_child(plan, host))
    print(json.dumps(report_to_json(report)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
