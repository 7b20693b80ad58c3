"""What a scanned file is, by its first bytes (the name and the browser's word are the
uploader's): the three formats the catalog lets a file be (PDF, PNG, JPEG), else None.
Three fixed signatures do not need a dependency."""

from __future__ import annotations

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def media_type_of(content: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if content.startswith(magic)), None)
