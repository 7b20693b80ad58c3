"""Fixed-length records (固定長), as 住基 exports and core systems read them: CRLF after each
record, every field a fixed number of bytes, padded with spaces. One codec for the 住基
loader, the batch files and the demo core system. Django-free."""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from itertools import repeat

CRLF = b"\r\n"


def records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, record) for each non-empty record of a file."""
    for line, record in enumerate(data.split(CRLF), start=1):
        if record:
            yield line, record


def fields(record: bytes, widths: Sequence[int]) -> list[bytes]:
    """The record cut into its fields (bytes, padding included)."""
    cells, offset = [], 0
    for width in widths:
        cells.append(record[offset : offset + width])
        offset += width
    return cells


def decode_field(cell: bytes, encoding: str = "cp932", padding: str = " ") -> str:
    """One field's text with its padding removed (raises UnicodeDecodeError)."""
    return cell.decode(encoding).rstrip(padding)


def record(cells: Sequence[bytes], widths: Sequence[int]) -> bytes:
    """Fields padded to their widths, then CRLF; a field longer than its width is a
    ValueError (the batch writer holds such a record back for a clerk, naming the field)."""
    if len(cells) != len(widths):
        raise ValueError("as many fields as widths")
    # map over the pairs rather than a generator: a batch file writes a record a few µs.
    if any(map(operator.gt, map(len, cells), widths)):
        raise ValueError("a field is longer than its width")
    return b"".join(map(bytes.ljust, cells, widths, repeat(b" "))) + CRLF
