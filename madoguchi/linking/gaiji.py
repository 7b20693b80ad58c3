"""外字 mapping: how a character the target encoding cannot hold is written instead.

A municipality's core system usually has its own 外字 registered in CP932's user-defined
area (0xF040–0xF9FC). The table says, per character, what to write: another character
(``鷗,鴎``) or a code in the user-defined area (``𠮷,0xF040``). The table is applied before
encoding; what still does not fit is held back for a clerk, never replaced silently.

Table file: CSV (UTF-8), columns 文字, 置換, 備考 (the note is for people). The built-in
table (``gaiji_default.csv``) holds only characters that JIS X 0208 and CP932 map to
different code points (— U+2014 is CP932's ― U+2015): the same character, not a substitute.
Python's cp932 codec already writes 〜 (U+301C) and − (U+2212) as CP932's 0x8160 and 0x817C.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

DEFAULT_TABLE = Path(__file__).with_name("gaiji_default.csv")
USER_AREA = re.compile(r"0x([0-9A-Fa-f]{4})")


class GaijiTableError(ValueError):
    pass


def _replacement(text: str) -> str:
    match = USER_AREA.fullmatch(text)
    if match is None:
        return text
    code = int(match.group(1), 16)
    lead, trail = code >> 8, code & 0xFF
    if not (0xF0 <= lead <= 0xF9 and (0x40 <= trail <= 0x7E or 0x80 <= trail <= 0xFC)):
        raise GaijiTableError(f"{text} はCP932の外字領域(0xF040〜0xF9FC)ではありません")
    return bytes([lead, trail]).decode("cp932")


def load_table(path: Path) -> dict[str, str]:
    """The table in the file; read again only when the file changes (the worker asks for it
    on every pass)."""
    return dict(_load_table(path, path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=32)
def _load_table(path: Path, _mtime: int) -> tuple[tuple[str, str], ...]:
    table: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for line, row in enumerate(csv.reader(f), start=1):
            if line == 1 or not row or row[0].startswith("#"):
                continue
            if len(row) < 2 or not row[0]:
                raise GaijiTableError(f"{path.name} {line}行目: 文字と置換の2列が必要です")
            if len(row[0]) != 1:
                raise GaijiTableError(f"{path.name} {line}行目: 「{row[0]}」は1文字ではありません")
            try:
                table[row[0]] = _replacement(row[1])
            except GaijiTableError as exc:
                raise GaijiTableError(f"{line}行目: {exc}") from None
    return tuple(table.items())


def parse_entry(character: str, replacement: str) -> str:
    """One row typed on the screen: the replacement as it will be written (a code in the
    user-defined area becomes its character); refused unless CP932 can hold it."""
    if len(character) != 1:
        raise GaijiTableError(f"「{character}」は1文字ではありません")
    if not replacement:
        raise GaijiTableError("置換する文字を入力してください")
    written = _replacement(replacement.strip())
    try:
        written.encode("cp932")
    except UnicodeEncodeError:
        raise GaijiTableError(f"「{replacement}」はCP932で表せません") from None
    return written


class GaijiMap:
    def __init__(self, *tables: dict[str, str]) -> None:
        merged: dict[str, str] = {}
        for table in tables:
            merged |= table
        self.table = merged
        self._translation = str.maketrans(merged)
        self._present = re.compile("[" + "".join(map(re.escape, merged)) + "]") if merged else None

    def apply(self, value: str) -> str:
        """The mapped text; a search first, since most text holds none of these characters."""
        if self._present is None or not self._present.search(value):
            return value
        return value.translate(self._translation)

    @classmethod
    def for_table(cls, path: Path | None, own: dict[str, str] | None = None) -> GaijiMap:
        """The built-in table, then the core system's file, then the rows the municipality
        entered on screen (``own``): a later table wins for the same character."""
        tables = [load_table(DEFAULT_TABLE)]
        if path:
            tables.append(load_table(path))
        return cls(*tables, own or {})
