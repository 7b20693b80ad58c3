"""Figures a DX manager reports, from counts (plain functions, no Django)."""

from __future__ import annotations

import math
from collections.abc import Mapping


def percentile_of_histogram(histogram: Mapping[int, int], fraction: float) -> int | None:
    """The value at ``fraction`` (0.5 median, 0.9 p90) of whole-day durations given as
    {days: how many}: the smallest value with at least that share at or below it (the
    nearest-rank definition, so the answer is a duration someone actually had)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(round(fraction * total, 9)))
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return days
    return max(histogram)


def share(part: int, whole: int) -> float | None:
    """part / whole as a percentage, or None when there is nothing to divide."""
    return None if whole == 0 else 100.0 * part / whole
