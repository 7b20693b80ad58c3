"""One figure of a benchmark, and the table `madoguchi bench` prints.

Every figure is a cost per unit of work (ms per package, ms per page, µs per record), so
the ratio is always madoguchi ÷ floor: ×1.0 is as fast as the job can be done."""

from __future__ import annotations

import json
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    benchmark: str  # intake, pages, export, load, worker
    what: str  # e.g. "inbox first page"
    database: str  # e.g. "SQLite 3.40.1"
    unit: str  # e.g. "ms/package"
    madoguchi: float
    floor: float | None  # None where no floor applies (load, memory)
    target: str  # the goal, as the issue states it (e.g. "≤ ×2")
    peak_mib: float
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.madoguchi / self.floor if self.floor else None

    def emit(self) -> None:
        """One JSON line on standard output, which the suite collects."""
        print("FIGURE " + json.dumps(asdict(self), ensure_ascii=False), flush=True)


def peak_mib() -> float:
    """This process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(p50, p95) in ms of ``repeat`` calls of ``work``."""
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        work()
        times.append((time.perf_counter() - begin) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def database_name() -> str:
    import sqlite3

    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    number = connection.cursor().connection.info.server_version
    return f"PostgreSQL {number // 10000}.{number % 100}"


def table(figures: list[Figure], *, ratios: bool = True) -> str:
    """The figures as a table; ``ratios=False`` (``--quick``) leaves the ratio out, as its
    sizes are too small for one to mean anything (start-up and a few rows)."""
    header = ("benchmark", "figure", "database", "madoguchi", "floor", "ratio", "target", "peak")
    rows = [header]
    for f in figures:
        rows.append(
            (
                f.benchmark,
                f.what,
                f.database,
                f"{f.madoguchi:,.2f} {f.unit}",
                f"{f.floor:,.2f}" if f.floor else "—",
                f"×{f.ratio:.2f}" if f.ratio and ratios else "—",
                f.target,
                f"{f.peak_mib:.0f} MiB" if f.peak_mib else "—",
            )
        )
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = zip(row, widths, strict=True)
        lines.append("  ".join(cell + " " * (w - _width(cell)) for cell, w in cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  {f.benchmark} / {f.what}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + (["", "notes:", *notes] if notes else []))


def _width(text: str) -> int:
    """Columns on a terminal: a Japanese character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
