"""Values an applicant signed, on their way into files and onto screens. Django-free.

An applicant controls every value they sign. Three things in such a value can hurt where it
lands: a control character (CR/LF split a fixed-length record in two), a bidirectional
control (U+202E turns ``…fdp.html`` around on screen), and a leading ``=`` ``+`` ``-`` ``@``
(a spreadsheet runs the cell as a formula: OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

# C0 and C1 control characters and DEL; then the bidirectional embeddings, overrides and
# isolates (U+202A–202E, U+2066–2069).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Either: nothing a single-line value may hold.
HIDDEN = re.compile(f"{CONTROL.pattern}|{BIDI_CONTROL.pattern}")
# What a spreadsheet takes for the start of a formula (OWASP), tab and CR included.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# A leading + or - followed only by digits, spaces, hyphens or a decimal point is a number.
_NUMBER = re.compile(r"[+\-][0-9 .\-]*", re.ASCII)
_FIRST = itemgetter(slice(0, 1))  # a value's first character, "" for an empty one


def _invisible(character: str) -> bool:
    """Whitespace (a line feed, the full-width space) or a format character (U+FEFF,
    U+200B, U+200E …): what a spreadsheet may skip before it sees the ``=``."""
    return character.isspace() or unicodedata.category(character) == "Cf"


def _after_invisible(value: str) -> str:
    """The value from its first visible character."""
    for index, character in enumerate(value):
        if not _invisible(character):
            return value[index:]
    return ""


def starts_formula(value: str) -> str | None:
    """The part of the value a spreadsheet would run as a formula (from its ``=`` ``+``
    ``-`` ``@``, also behind whitespace or format characters), or None."""
    if value.startswith(FORMULA_START):
        return value
    visible = _after_invisible(value)
    return visible if visible.startswith(FORMULA_START) else None


def spreadsheet_safe(value: str) -> str:
    """A cell for a file people open in a spreadsheet: a value that would start a formula
    is written as text (the OWASP rule: a leading apostrophe)."""
    return "'" + value if starts_formula(value) is not None else value


def spreadsheet_csv(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """A CSV for people to open in a spreadsheet: UTF-8 with a BOM (Excel reads it as such),
    CRLF lines, every cell spreadsheet-safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in (header, *rows):
        writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode()


def file_problem(value: str) -> str | None:
    """Why a value may not go into a core system's file as it is, or None. Files for core
    systems carry values exactly, so such a value is held back for a clerk, never altered."""
    if CONTROL.search(value):
        return "改行・制御文字が含まれています"
    if BIDI_CONTROL.search(value):
        return "文字の向きを変える制御文字が含まれています"
    formula = starts_formula(value)
    if formula is not None and not _NUMBER.fullmatch(formula):
        return "表計算ソフトで式として実行される文字 (= + - @) で始まります"
    return None


@functools.cache
def _may_start_formula() -> frozenset[str]:
    """The first characters of a value that may start a formula: a formula start itself, or
    a character _after_invisible skips. Built on first use: it reads the whole Unicode table."""
    return frozenset(FORMULA_START).union(filter(_invisible, map(chr, range(0x110000))))


def row_problem(values: list[str]) -> tuple[int, str] | None:
    """The first value of a record that may not go into a file as it is (its index and
    why), or None: one search over the whole record and a look at each value's first
    character (a million values a minute in an export), value by value only to name it."""
    if HIDDEN.search("".join(values)) is None and _may_start_formula().isdisjoint(
        map(_FIRST, values)
    ):
        return None
    for index, value in enumerate(values):
        problem = file_problem(value)
        if problem:
            return index, problem
    return None


def visible_controls(value: str) -> str:
    """For display: every control and bidi control shown as its code (「[U+202E]」), so no
    name or file name can reorder or hide the text around it."""

    def code(match: re.Match[str]) -> str:
        return f"[U+{ord(match.group()):04X}]"

    return HIDDEN.sub(code, value)


class _Echo:
    """A "file" for csv.writer whose write gives the line back."""

    def write(self, line: str) -> str:
        return line


def line_writer() -> Any:
    """A csv writer whose writerow returns the CSV line (CRLF-terminated) instead of writing
    it: for lines streamed to a response or encoded one by one, with no buffer between."""
    return csv.writer(_Echo(), lineterminator="\r\n")
