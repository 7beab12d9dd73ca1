"""What every benchmark run prints and writes: machine, tables, JSON, PNG plots, ratio comparison.

A result file is JSON: ``{"bench": name, "created": ISO time, "machine": {...}, "ratios": {key: {"value",
"better"}}, ...bench-specific data}``. Ratios are dimensionless (accuracy, WER, turn gap / goal, real-time
factor), so a run on another machine can still be compared with the committed result in
``bench/voicebot_bench/results/<name>.json``; a ratio that got worse by more than the tolerance is flagged.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
"""Committed result files of the last accepted runs (one per benchmark)."""

TOLERANCE = 0.05
"""A ratio is a regression when it is worse than the committed one by more than this share (5 %) ..."""
ABS_TOLERANCE = 0.01
"""... and by more than this absolute amount."""


def ratio(value: float, better: str) -> dict[str, Any]:
    """A ratio entry; ``better`` is ``higher`` or ``lower``."""
    return {"value": round(float(value), 4), "better": better}


def cpu_model() -> str:
    """The CPU model name (``/proc/cpuinfo``), or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, Python and the checkout's commit."""
    info: dict[str, Any] = {
        "cores": os.cpu_count() or 0,
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
        info["load_1min"] = round(os.getloadavg()[0], 2)
    except ImportError:
        pass
    try:
        root = Path(__file__).resolve().parent.parent.parent
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        )
        info["commit"] = head.stdout.strip()
    except OSError:
        pass
    return info


def machine_line(info: Mapping[str, Any]) -> str:
    """One line for the top of a benchmark's output."""
    memory = f", {info['memory_gb']} GB RAM" if "memory_gb" in info else ""
    load = f", load {info['load_1min']}" if "load_1min" in info else ""
    commit = f", commit {info['commit']}" if info.get("commit") else ""
    return f"machine: {info['cores']} cores, {info['cpu']}{memory}{load}, Python {info['python']}{commit}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: numbers right-aligned, text left-aligned, floats with two decimals."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(list(headers)), rule, *(line(row) for row in cells)])


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)) or value is None


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def write_json(out_dir: Path, name: str, payload: Mapping[str, Any]) -> Path:
    """Write ``<out_dir>/<name>.json`` (with bench name, time and machine added); its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {"bench": name, "created": datetime.now(UTC).isoformat(timespec="seconds"), **payload}
    document.setdefault("machine", machine_info())
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def load_previous(name: str, results_dir: Path = RESULTS_DIR) -> dict[str, Any] | None:
    """The committed result of benchmark ``name``, or None."""
    path = results_dir / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def compare_ratios(current: Mapping[str, Mapping[str, Any]], previous: Mapping[str, Any] | None) -> list[str]:
    """Lines comparing each ratio with the previous result; regressions are marked ``REGRESSION``."""
    if previous is None:
        return ["no committed result to compare with (bench/voicebot_bench/results/)"]
    old = previous.get("ratios", {})
    where = previous.get("machine", {})
    lines = [f"compared with the committed result of {previous.get('created', '?')} ({where.get('cores', '?')} cores):"]
    rows: list[list[Any]] = []
    for key, entry in current.items():
        value, better = float(entry["value"]), str(entry["better"])
        before = old.get(key, {}).get("value") if isinstance(old.get(key), dict) else None
        if before is None:
            rows.append([key, value, None, "new"])
            continue
        verdict = judge(value, float(before), better)
        rows.append([key, value, float(before), verdict])
    lines.append(table(["ratio", "now", "before", "verdict"], rows))
    return lines


def judge(value: float, before: float, better: str) -> str:
    """``ok``, ``better`` or ``REGRESSION`` for one ratio."""
    worse = before - value if better == "higher" else value - before
    limit = max(ABS_TOLERANCE, TOLERANCE * abs(before))
    if worse > limit:
        return "REGRESSION"
    if -worse > limit:
        return "better"
    return "ok"


def bar_chart(
    path: Path,
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    ylabel: str,
    goal: float | None = None,
) -> Path | None:
    """A grouped bar chart as PNG; None (and nothing written) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    figure, axes = plt.subplots(figsize=(max(6.0, 0.9 * len(labels) * max(1, len(series))), 4.0))
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series.items()):
        positions = [i + (index - (len(series) - 1) / 2) * width for i in range(len(labels))]
        bars = axes.bar(positions, values, width, label=name)
        axes.bar_label(bars, fmt="%.2f", fontsize=7)
    if goal is not None:
        axes.axhline(goal, color="red", linestyle="--", linewidth=1, label="goal")
    axes.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=8)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
