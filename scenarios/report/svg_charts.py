"""Horizontal bar charts as plain inline SVG text: the summary page's only charts.

WHY hand-written SVG and no charting library: the page has two or three bar charts of at most a
few dozen bars; a few lines of SVG are deterministic to the byte, need no script, and render the
same in any browser and on paper. Every number is formatted here with a fixed precision.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

__all__ = ["Bar", "bar_chart"]

BARS_MAX = 200
BAR_H = 18
LABEL_W = 260
VALUE_W = 120
PLOT_W = 420


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # what is written after the bar (the value, with its unit)
    css_class: str = "bar"
    href: str | None = None


def bar_chart(bars: list[Bar], *, title: str, log_scale: bool = False) -> str:
    """One bar per row, longest = widest; `log_scale` for values spanning decades (seconds to catch)."""
    shown = bars[:BARS_MAX]
    height = BAR_H * max(1, len(shown)) + 24
    width = LABEL_W + PLOT_W + VALUE_W
    positive = [bar.value for bar in shown if bar.value > 0]
    top = max(positive, default=1.0)
    low = min(positive, default=1.0)

    def length(value: float) -> float:
        if value <= 0:
            return 0.0
        if log_scale:
            floor = low / 2
            span = math.log10(top / floor) or 1.0
            return PLOT_W * math.log10(value / floor) / span
        return PLOT_W * value / top

    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">',
             f'<text class="chart-title" x="0" y="13">{html.escape(title)}{" (log scale)" if log_scale else ""}</text>']
    for row, bar in enumerate(shown):
        y = 20 + row * BAR_H
        label = f'<text class="bar-label" x="{LABEL_W - 6}" y="{y + 12}" text-anchor="end">{html.escape(bar.label)}</text>'
        if bar.href:
            label = f'<a href="{html.escape(bar.href)}">{label}</a>'
        bar_w = length(bar.value)
        parts.append(label)
        parts.append(f'<rect class="{html.escape(bar.css_class)}" x="{LABEL_W}" y="{y + 2}" width="{bar_w:.1f}" '
                     f'height="{BAR_H - 5}"><title>{html.escape(bar.label)}: {html.escape(bar.text)}</title></rect>')
        parts.append(f'<text class="bar-value" x="{LABEL_W + bar_w + 5:.1f}" y="{y + 12}">{html.escape(bar.text)}</text>')
    if len(bars) > len(shown):
        parts.append(f'<text x="0" y="{height - 2}">... {len(bars) - len(shown)} more not drawn</text>')
    parts.append("</svg>")
    return "".join(parts)
