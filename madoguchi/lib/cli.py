"""Shared pieces of the ``madoguchi`` sub-commands (DESIGN.md §6)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def iso_date(value: str) -> dt.date:
    """An argparse type: a date on the command line, YYYY-MM-DD, refused in Japanese."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD で指定してください: {value}") from None


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield items, drawing a progress bar on standard error when it is a terminal."""
    draw = progress_bar(label)
    for done, item in enumerate(items, start=1):
        yield item
        draw(done, total)


def progress_bar(label: str) -> Callable[[int, int], None]:
    """``draw(done, total)``: a progress bar on standard error when it is a terminal, ended
    with a new line when done reaches total."""
    show = sys.stderr.isatty()

    def draw(done: int, total: int) -> None:
        if not show or total <= 1:
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return draw
