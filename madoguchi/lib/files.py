"""Files that appear whole or not at all: written under a temporary name, synced, then
renamed — a reader never takes a half-written letter, 発送簿 or hand-over file for a whole
one. A full disk is said plainly, naming the folder, and leaves nothing behind."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path


class DiskFull(OSError):
    def __init__(self, folder: Path) -> None:
        super().__init__(
            errno.ENOSPC,
            f"{folder} のディスクに空きがありません。空きを作ると、もう一度作り直します",
        )
        self.folder = folder

    def __str__(self) -> str:
        return str(self.strerror)


def write_whole(path: Path, data: bytes | Iterable[bytes]) -> Path:
    """``data`` (or its chunks: an upload of hundreds of MB, never all in memory) at
    ``path``, whole."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(partial, "wb") as f:
            for chunk in [data] if isinstance(data, bytes) else data:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise DiskFull(path.parent) from exc
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return path
