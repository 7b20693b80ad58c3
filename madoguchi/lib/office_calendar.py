"""開庁日 (the office's business days) and 処理期限 (DESIGN.md §8). Django-free.

Closed: Saturdays and Sundays, 国民の祝日 with 振替休日 and 国民の休日 (祝日法, from the
``holidays`` package's calendar for Japan), 12/29–1/3 (行政機関の休日に関する法律 第1条,
which municipalities follow by their own 休日条例), and the days the municipality adds.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable

import holidays

BUSINESS = "開庁日"
CALENDAR = "暦日"
UNITS = (BUSINESS, CALENDAR)


@functools.cache
def _national_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.Japan(years=year))


def is_office_day(day: dt.date, closed: Collection[dt.date] = ()) -> bool:
    if day.weekday() >= 5 or day in _national_holidays(day.year):
        return False
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        return False
    return day not in closed


def counted_days(start: dt.date, end: dt.date, unit: str, closed: Iterable[dt.date] = ()) -> int:
    """Days of the period after ``start`` up to and including ``end`` that count in
    ``unit`` (every day, or only 開庁日)."""
    closed = frozenset(closed)
    days = (end - start).days
    if unit == CALENDAR or days <= 0:
        return max(days, 0)
    return sum(is_office_day(start + dt.timedelta(days=n), closed) for n in range(1, days + 1))


class OfficeDayCounter:
    """counted_days for many periods inside one span (a page of the inbox): each day of the
    span is looked at once, then every count is a subtraction of running totals."""

    def __init__(
        self, first: dt.date, last: dt.date, unit: str = BUSINESS, closed: Iterable[dt.date] = ()
    ) -> None:
        closed = frozenset(closed)
        self.first, self.last, self.unit, self.closed = first, last, unit, closed
        self._running = [0]
        for n in range((last - first).days + 1):
            day = first + dt.timedelta(days=n)
            self._running.append(
                self._running[-1] + (unit == CALENDAR or is_office_day(day, closed))
            )

    def count(self, start: dt.date, end: dt.date) -> int:
        """As counted_days(start, end, unit, closed)."""
        if end <= start:
            return 0
        if start < self.first or end > self.last:
            return counted_days(start, end, self.unit, self.closed)
        return (
            self._running[(end - self.first).days + 1]
            - self._running[(start - self.first).days + 1]
        )


def deadline(
    arrival: dt.date, days: int, unit: str = BUSINESS, closed: Iterable[dt.date] = ()
) -> dt.date:
    """The last day of a period of ``days`` counted from the day after ``arrival`` (the day
    of 到達 itself is not counted): in 開庁日, the ``days``-th office day; in 暦日, the
    ``days``-th day."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    if unit == CALENDAR:
        return arrival + dt.timedelta(days=days)
    closed = frozenset(closed)
    day, left = arrival, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_office_day(day, closed):
            left -= 1
    return day


def extend(
    due: dt.date, days: int, unit: str = BUSINESS, closed: Iterable[dt.date] = ()
) -> dt.date:
    """``due`` moved later by ``days`` counted in ``unit`` (the clock stopped that long)."""
    return deadline(due, days, unit, closed) if days > 0 else due
