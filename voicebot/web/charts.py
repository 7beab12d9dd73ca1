"""Bar charts as inline SVG, rendered on the server (no JavaScript, no external files). Pure.

Each chart carries a ``<title>`` and ``aria-label`` and every bar a ``<title>`` with its exact value, so
screen readers and mouse hovering get the numbers; the page shows the same numbers in a table too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

BAR_COLOUR = "#1f5f8b"
ACCENT_COLOUR = "#c0392b"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def bar_chart(
    bars: Sequence[tuple[str, float]],
    title: str,
    *,
    width: int = 720,
    height: int = 220,
    max_value: float | None = None,
    fmt: Callable[[float], str] = _number,
    label_every: int = 1,
    colour: str = BAR_COLOUR,
) -> str:
    """Vertical bars with labels under them and the value above each (``label_every`` thins the labels)."""
    left, right, top, bottom = 8, 8, 22, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max_value if max_value is not None else max((value for _, value in bars), default=0.0)
    peak = peak or 1.0
    slot = plot_w / max(len(bars), 1)
    bar_w = max(slot * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#888" />',
    ]
    for index, (label, value) in enumerate(bars):
        bar_h = plot_h * max(value, 0.0) / peak
        x = left + index * slot + (slot - bar_w) / 2
        y = top + plot_h - bar_h
        centre = x + bar_w / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" fill="{colour}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        if value > 0 and slot >= 18:
            parts.append(
                f'<text x="{centre:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle">{escape(fmt(value))}</text>'
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{centre:.1f}" y="{top + plot_h + 16:.1f}" font-size="11" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    bars: Sequence[tuple[str, float]], title: str, *, width: int = 720, fmt: Callable[[float], str] = _number
) -> str:
    """Horizontal bars, each under its full label (long topic and department names are never cut off)."""
    row, top, label_h = 42, 4, 16
    height = top * 2 + row * max(len(bars), 1)
    plot_w = width - 70
    peak = max((value for _, value in bars), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(bars):
        y = top + index * row
        bar_w = plot_w * max(value, 0.0) / peak
        parts.append(
            f'<text x="0" y="{y + label_h - 3}" font-size="13">{escape(label)}</text>'
            f'<rect x="0" y="{y + label_h + 2}" width="{bar_w:.1f}" height="{row - label_h - 10}" fill="{BAR_COLOUR}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            f'<text x="{bar_w + 6:.1f}" y="{y + row - 12}" font-size="12">{escape(fmt(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def percent_label(share: float) -> str:
    """Bar value format for shares 0..1."""
    return f"{round(share * 100)} %"


__all__ = ["ACCENT_COLOUR", "BAR_COLOUR", "bar_chart", "horizontal_bars", "percent_label"]
