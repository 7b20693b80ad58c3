"""Windows-31J: CP932 as Windows and Java (MS932) write it, as the codec ``windows-31j``.

CP932 holds 388 characters twice: the IBM extensions (FA40–FC4B) and the same characters as
NEC selected them (ED40–EEFC). Both decode alike, but Python's ``cp932`` writes the NEC codes
(髙 EEE0, 﨑 ED95, ⅰ EEEF) where Windows (WideCharToMultiByte) and Java write the IBM ones
(FBFC, FAB1, FA40); a core system that compares bytes, or knows only the IBM extensions,
rejects Python's. Everything else is written as ``cp932`` writes it, and decoding is
``cp932``'s (it reads both). Written by hand: no maintained package registers this mapping,
and Python's own codec will not change it (it follows the NEC-first table).

Importing this module registers the codec (``"…".encode("windows-31j")``).
"""

from __future__ import annotations

import codecs
import re

NAME = "windows-31j"


def _table() -> dict[str, bytes]:
    """Each character Python writes as an NEC-selected IBM extension → its IBM code."""
    ibm: dict[str, bytes] = {}
    for lead in (0xFA, 0xFB, 0xFC):
        for trail in range(0x40, 0xFD):
            code = bytes([lead, trail])
            try:
                ibm.setdefault(code.decode("cp932"), code)
            except UnicodeDecodeError:
                continue
    table = {}
    for character, code in ibm.items():
        written = character.encode("cp932")
        if written != code and 0xED <= written[0] <= 0xEE:
            table[character] = code
    return table


WINDOWS_BYTES = _table()
_DIFFERENT = re.compile("[" + re.escape("".join(sorted(WINDOWS_BYTES))) + "]")


def encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    if not _DIFFERENT.search(text):
        return _cp932(text, 0, len(text), errors), len(text)
    parts, start = [], 0
    for match in _DIFFERENT.finditer(text):
        parts.append(_cp932(text, start, match.start(), errors))
        parts.append(WINDOWS_BYTES[match.group()])
        start = match.end()
    parts.append(_cp932(text, start, len(text), errors))
    return b"".join(parts), len(text)


def _cp932(text: str, start: int, end: int, errors: str) -> bytes:
    """A stretch of ``text`` in cp932; a failure names its place in the whole text."""
    try:
        return text[start:end].encode("cp932", errors)
    except UnicodeEncodeError as exc:
        raise UnicodeEncodeError(
            NAME, text, start + exc.start, start + exc.end, exc.reason
        ) from None


class _IncrementalEncoder(codecs.IncrementalEncoder):
    def encode(self, text: str, final: bool = False) -> bytes:
        return encode(text, self.errors)[0]


def _search(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != NAME:
        return None
    cp932 = codecs.lookup("cp932")
    return codecs.CodecInfo(
        encode=encode,
        decode=cp932.decode,  # it reads both codes
        incrementalencoder=_IncrementalEncoder,
        incrementaldecoder=cp932.incrementaldecoder,
        streamreader=cp932.streamreader,
        streamwriter=cp932.streamwriter,
        name=NAME,
    )


codecs.register(_search)
