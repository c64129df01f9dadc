"""The shared time axis of a timeline: sim seconds, with long idle gaps folded.

WHY fold: a run spends about two minutes under faults, then its liveness phase jumps the clocks
to the next day (86,000 simulated seconds in which nothing happens). On a linear axis the whole
story would be a sliver at the left edge. Every gap between consecutive events longer than
`GAP_S_MIN` is drawn at a fixed width instead and labelled with what it hides; everywhere else one
display second is one simulated second, so the ticks read as plain sim time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

__all__ = ["FoldedAxis", "fold_gaps", "GAP_S_MIN"]

GAP_S_MIN = 60.0  # a quieter stretch than this is folded
GAP_DISPLAY_FRACTION = 0.04  # a folded gap is drawn this fraction of the unfolded span wide
GAP_DISPLAY_S_MIN = 1.0
GAPS_MAX = 10_000  # beyond this many the trace is sparse everywhere: fold only the longest


@dataclass(frozen=True)
class FoldedAxis:
    """Piecewise-linear map from sim seconds to display seconds: breaks are (t_s, x_s) points."""

    breaks: list[tuple[float, float]]
    gaps: list[tuple[float, float, float]]  # (x_start_s, x_end_s, hidden_s) of every folded gap

    def x_of(self, time_s: float) -> float:
        breaks = self.breaks
        if time_s <= breaks[0][0]:
            return breaks[0][1] + (time_s - breaks[0][0])
        low, high = 0, len(breaks) - 1
        while high - low > 1:
            middle = (low + high) // 2
            if breaks[middle][0] <= time_s:
                low = middle
            else:
                high = middle
        (t0, x0), (t1, x1) = breaks[low], breaks[high]
        if time_s >= t1:
            return x1 + (time_s - t1)
        return x0 + (time_s - t0) * ((x1 - x0) / (t1 - t0) if t1 > t0 else 1.0)


def fold_gaps(times_s: Sequence[float]) -> FoldedAxis:
    """Fold the long gaps of `times_s` (event times in trace order; sorted here)."""
    if not times_s:
        return FoldedAxis([(0.0, 0.0), (1.0, 1.0)], [])
    ordered = sorted(times_s)
    start_s, end_s = ordered[0], ordered[-1]
    raw_gaps = [(a, b) for a, b in zip(ordered, ordered[1:]) if b - a > GAP_S_MIN]
    if len(raw_gaps) > GAPS_MAX:
        raw_gaps = sorted(sorted(raw_gaps, key=lambda gap: gap[0] - gap[1])[:GAPS_MAX])
    unfolded_s = (end_s - start_s) - sum(b - a for a, b in raw_gaps)
    gap_display_s = max(GAP_DISPLAY_S_MIN, GAP_DISPLAY_FRACTION * unfolded_s)
    breaks = [(start_s, 0.0)]
    gaps: list[tuple[float, float, float]] = []
    x_s = 0.0
    last_s = start_s
    for a, b in raw_gaps:
        x_s += a - last_s
        breaks.append((a, x_s))
        gaps.append((x_s, x_s + gap_display_s, b - a))
        x_s += gap_display_s
        breaks.append((b, x_s))
        last_s = b
    x_s += end_s - last_s
    if end_s > last_s or len(breaks) == 1:
        breaks.append((max(end_s, start_s + 1e-6), max(x_s, 1e-6)))
    assert all(t1 >= t0 and x1 >= x0 for (t0, x0), (t1, x1) in zip(breaks, breaks[1:])), "monotonic axis"
    return FoldedAxis(breaks, gaps)
