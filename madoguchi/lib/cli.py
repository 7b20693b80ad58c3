"""Shared pieces of the ``madoguchi`` sub-commands (DESIGN.md §6)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield items, drawing a progress bar on standard error when it is a terminal."""
    show = sys.stderr.isatty() and total > 1
    for done, item in enumerate(items, start=1):
        yield item
        if show:
            width = 30
            filled = width * done // total
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            sys.stderr.flush()
    if show:
        sys.stderr.write("\n")
