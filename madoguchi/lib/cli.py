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


# argparse's own messages in Japanese: the administrator at the command line reads
# Japanese (DESIGN.md §6). argparse looks its strings up through the module's ``_`` and
# ``ngettext`` when it formats them, so a catalog put there translates usage lines and
# errors alike; strings not listed stay as argparse wrote them.
ARGPARSE_JA = {
    "usage: ": "使い方: ",
    "positional arguments": "引数",
    "options": "オプション",
    "show this help message and exit": "この説明を表示して終了する",
    "%(prog)s: error: %(message)s\n": "%(prog)s: エラー: %(message)s\n",
    "the following arguments are required: %s": "次の引数を指定してください: %s",
    "unrecognized arguments: %s": "知らない引数です: %s",
    "argument %(argument_name)s: %(message)s": "引数 %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "選べない値です: %(value)r (%(choices)s のいずれか)"
    ),
    "invalid %(type)s value: %(value)r": "値が正しくありません: %(value)r",
    "expected one argument": "値を1つ指定してください",
    "expected at most one argument": "値は1つまでです",
    "expected at least one argument": "値を1つ以上指定してください",
    "one of the arguments %s is required": "%s のどれかを指定してください",
    "not allowed with argument %s": "引数 %s と一緒には指定できません",
    "ambiguous option: %(option)s could match %(matches)s": (
        "オプション %(option)s があいまいです (候補: %(matches)s)"
    ),
    "can't open '%(filename)s': %(error)s": "'%(filename)s' を開けません: %(error)s",
    "ignored explicit argument %r": "値 %r は指定できません",
    "unexpected option string: %s": "知らないオプションです: %s",
}


def _argparse_gettext(message: str) -> str:
    return ARGPARSE_JA.get(message, message)


def _argparse_ngettext(singular: str, plural: str, n: int) -> str:
    if singular == "expected %s argument":
        return "値を %s 個指定してください"
    return singular if n == 1 else plural


def install_japanese_argparse() -> None:
    """Put the catalog where argparse looks (idempotent)."""
    argparse._ = _argparse_gettext  # type: ignore[attr-defined]
    argparse.ngettext = _argparse_ngettext  # type: ignore[attr-defined]
