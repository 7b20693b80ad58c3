"""The spool: the one folder through which the relay hands packages to the intake.

A package appears in ``incoming/`` only whole (temporary name, fsync, atomic rename), so
the intake never sees half a file, and a crash leaves at worst a stray temporary file.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

SAFE_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$")


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / "incoming"
        self.tmp = root / "tmp"
        self.fetched = root / "fetched"
        for folder in (self.incoming, self.tmp, self.fetched):
            folder.mkdir(parents=True, exist_ok=True)

    def was_fetched(self, receipt_number: str) -> bool:
        return (self.fetched / receipt_number).exists()

    def put(self, receipt_number: str, data: bytes) -> Path:
        """Store a package durably, then remember it was fetched (in that order)."""
        if not SAFE_NAME.match(receipt_number):
            raise ValueError(f"unsafe receipt number {receipt_number!r}")
        target = self.incoming / f"{receipt_number}.zip"
        tmp = self.tmp / f"{receipt_number}.{os.getpid()}.part"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        _fsync_dir(self.incoming)
        marker = self.fetched / receipt_number
        marker.write_text(hashlib.sha256(data).hexdigest())
        _fsync_dir(self.fetched)
        return target

    def pending(self) -> list[Path]:
        return sorted(self.incoming.glob("*.zip"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
