"""文字要件: whether text keeps within the MJ文字 repertoire.

The Digital Agency's 文字要件 limits what 標準準拠システム exchange to 行政事務標準文字, a set
built on the 文字情報基盤 MJ文字. Its own list is not published in a form we could read; MJ
is, through its reference font IPAmj明朝. mj-repertoire.txt, beside this module, holds that
font's code points and ideographic variation sequences (scripts/mj-repertoire writes it
and names the font's version and SHA-256): a character outside it — an emoji, a private-use
外字, a variation selector the set does not define for its character — is outside the
repertoire. Hand-written: no maintained package carries the MJ repertoire.
"""

from __future__ import annotations

import bisect
import functools
from pathlib import Path

DATA = Path(__file__).with_name("mj-repertoire.txt")
# Line breaks and tabs inside a CSV cell are the file format's, not characters of the set.
LAYOUT = frozenset("\n\r\t")


def is_selector(code: int) -> bool:
    """A variation selector: standardized (U+FE00–FE0F) or ideographic (U+E0100–E01EF)."""
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


@functools.cache
def _tables() -> tuple[list[int], list[int], frozenset[tuple[int, int]]]:
    starts: list[int] = []
    ends: list[int] = []
    sequences: set[tuple[int, int]] = set()
    for line in DATA.read_text(encoding="utf-8").splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "R":
            first, last = rest.split()
            starts.append(int(first, 16))
            ends.append(int(last, 16))
        elif kind == "C":
            starts.append(int(rest, 16))
            ends.append(int(rest, 16))
        elif kind == "V":
            base, selector = rest.split()
            sequences.add((int(base, 16), int(selector, 16)))
    return starts, ends, frozenset(sequences)


def in_repertoire(code: int) -> bool:
    starts, ends, _sequences = _tables()
    at = bisect.bisect_right(starts, code) - 1
    return at >= 0 and code <= ends[at]


def outside(value: str) -> list[str]:
    """The characters (a base and its selector together) of a value outside the repertoire,
    each once, in the order they come."""
    sequences = _tables()[2]
    found: dict[str, None] = {}
    i = 0
    while i < len(value):
        character = value[i]
        code = ord(character)
        following = ord(value[i + 1]) if i + 1 < len(value) else 0
        if is_selector(following):
            if not ((code, following) in sequences and in_repertoire(code)):
                found[value[i : i + 2]] = None
            i += 2
            continue
        if character not in LAYOUT and (is_selector(code) or not in_repertoire(code)):
            found[character] = None
        i += 1
    return list(found)


def named(text: str) -> str:
    """「😀」(U+1F600); a sequence with each code: 「葛󠄁」(U+845B U+E0101)."""
    return f"「{text}」({' '.join(f'U+{ord(c):04X}' for c in text)})"
