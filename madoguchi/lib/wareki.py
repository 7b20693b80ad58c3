"""和暦 (Japanese era) dates, for display only: dates are stored as ISO dates."""

from __future__ import annotations

import datetime as dt

# First day of each era (改元日), newest first.
ERAS = [
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1868, 10, 23), "明治"),
]


def to_wareki(day: dt.date) -> str:
    """2026-11-26 → 令和8年11月26日; the first year of an era is 元年."""
    for start, name in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    raise ValueError(f"明治より前の日付です: {day.isoformat()}")


def iso_to_wareki(value: str) -> str:
    """An ISO date string as 和暦; anything that is not an ISO date is returned unchanged."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return to_wareki(day)
