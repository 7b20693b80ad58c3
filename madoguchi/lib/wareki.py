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
# Japan counted days by the lunisolar calendar until 明治5年12月2日; the next day was
# 明治6年1月1日 = 1873-01-01. An earlier Gregorian date has no 和暦 written the same way.
GREGORIAN_ADOPTED = dt.date(1873, 1, 1)


def to_wareki(day: dt.date) -> str:
    """2026-11-26 → 令和8年11月26日; the first year of an era is 元年. A date before the
    Gregorian calendar was adopted stays 西暦, with a note, rather than a wrong 和暦."""
    if day < GREGORIAN_ADOPTED:
        return f"西暦{day.year}年{day.month}月{day.day}日(和暦に換算できません)"
    for start, name in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    raise AssertionError("every date from 1873 on falls in an era")


def to_wareki_short(day: dt.date) -> str:
    """2026-11-26 → 令和8.11.26: the 和暦 of a list's column, as short as 西暦 written out."""
    if day < GREGORIAN_ADOPTED:
        return day.isoformat()
    for start, name in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{name}{'元' if year == 1 else year}.{day.month}.{day.day}"
    raise AssertionError("every date from 1873 on falls in an era")


def era_of(day: dt.date) -> str | None:
    """The era a Gregorian date falls in (明治 from its 改元日 on), None before 明治."""
    return next((name for start, name in ERAS if day >= start), None)


def from_wareki(era: str, year: int, month: int, day: int) -> dt.date | None:
    """令和3年12月1日 → 2021-12-01 (year 1 is 元年); None for a date that does not exist
    (令和3年2月30日) or lies outside its era (令和元年4月30日 is 平成31年; 平成32年 never was)."""
    starts = dict((name, start) for start, name in ERAS)
    if era not in starts or year < 1:
        return None
    start = starts[era]
    try:
        found = dt.date(start.year + year - 1, month, day)
    except ValueError:
        return None
    end = min((s for s, _name in ERAS if s > start), default=None)
    if found < max(start, GREGORIAN_ADOPTED) or (end is not None and found >= end):
        return None  # before 1873 Japan's dates were lunisolar: no same-named Gregorian day
    return found


def to_wareki_time(moment: dt.datetime) -> str:
    """A moment as documents print it: 令和8年12月1日 09:30 (the caller gives local time)."""
    return f"{to_wareki(moment.date())} {moment:%H:%M}"


def iso_to_wareki(value: str) -> str:
    """An ISO date string as 和暦; anything that is not an ISO date is returned unchanged."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return to_wareki(day)
