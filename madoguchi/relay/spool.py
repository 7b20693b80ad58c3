"""The spool: the one folder through which the relay and the 申請管理 side talk.

Inbound, the relay puts packages in ``incoming/``; outbound, the 申請管理 side puts status
updates for the portal in ``outbox/``, and the relay moves each to ``sent/`` once the
portal has it. Every file appears whole (temporary name, fsync, atomic rename) and carries
an HMAC of its content in its name, keyed with a secret only the two sides hold, so a file
dropped there by anyone else is refused, not processed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,39}", re.ASCII)
SPOOLED = re.compile(
    r"(?P<name>[0-9A-Za-z][0-9A-Za-z-]{0,39})\.(?P<mac>[0-9a-f]{64})\.(?P<ext>zip|json)",
    re.ASCII,
)


class SpoolError(Exception):
    pass


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    name: str  # 受付番号, or a status update's id

    def read(self) -> bytes:
        return self.path.read_bytes()


class Spool:
    def __init__(self, root: Path, key: bytes) -> None:
        if not key:
            raise SpoolError("the hand-over key is empty")
        self.root = root
        self.key = key
        self.incoming = root / "incoming"
        self.outbox = root / "outbox"
        self.sent = root / "sent"
        self.rejected = root / "rejected"
        self.tmp = root / "tmp"
        self.fetched = root / "fetched"
        for folder in (
            self.incoming,
            self.outbox,
            self.sent,
            self.rejected,
            self.tmp,
            self.fetched,
        ):
            folder.mkdir(parents=True, exist_ok=True)

    def mac(self, folder: Path, name: str, ext: str, data: bytes) -> str:
        """Over the folder (the direction and stage) and the kind as well as the name and
        content: a file copied into another folder, or renamed, does not verify."""
        purpose = f"{folder.name}/{ext}/{name}".encode()
        return hmac.new(self.key, purpose + b"\0" + data, hashlib.sha256).hexdigest()

    def _write(self, folder: Path, name: str, ext: str, data: bytes) -> Path:
        if not SAFE_NAME.fullmatch(name):
            raise SpoolError(f"unsafe name {name!r}")
        target = folder / f"{name}.{self.mac(folder, name, ext, data)}.{ext}"
        tmp = self.tmp / f"{name}.{ext}.{os.getpid()}.part"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        _fsync_dir(folder)
        return target

    def _list(self, folder: Path, ext: str) -> list[SpooledFile]:
        """Files whose MAC matches; any other file is moved to ``rejected/``."""
        found = []
        for path in sorted(folder.iterdir()):
            match = SPOOLED.fullmatch(path.name)
            if not path.is_file():
                self.reject(path, "ファイルではありません")
                continue
            if match and match["ext"] == ext:
                data = path.read_bytes()
                if hmac.compare_digest(self.mac(folder, match["name"], ext, data), match["mac"]):
                    found.append(SpooledFile(path, match["name"]))
                    continue
            self.reject(path, f"{folder.name}/ のファイルとして認証できません (名前・MAC・種類)")
        return found

    def reject(self, path: Path, reason: str) -> None:
        """Set a file aside in ``rejected/`` with a reason file beside it; never processed."""
        target = self.rejected / path.name
        os.replace(path, target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")

    # --- inbound: packages ---

    def was_fetched(self, receipt_number: str) -> bool:
        return (self.fetched / receipt_number).exists()

    def put(self, receipt_number: str, data: bytes) -> Path:
        """Store a package durably, then remember it was fetched (in that order)."""
        target = self._write(self.incoming, receipt_number, "zip", data)
        (self.fetched / receipt_number).write_text(hashlib.sha256(data).hexdigest())
        _fsync_dir(self.fetched)
        return target

    def pending(self) -> list[SpooledFile]:
        return self._list(self.incoming, "zip")

    # --- outbound: status updates for the portal ---

    def post(self, update_id: str, data: bytes) -> Path:
        return self._write(self.outbox, update_id, "json", data)

    def outgoing(self) -> list[SpooledFile]:
        return self._list(self.outbox, "json")

    def mark_sent(self, spooled: SpooledFile) -> None:
        """Re-sealed for ``sent/`` (a copy from ``outbox/`` would not verify there)."""
        self._write(self.sent, spooled.name, "json", spooled.read())
        spooled.path.unlink()
        _fsync_dir(self.outbox)

    def acknowledged(self) -> list[SpooledFile]:
        return self._list(self.sent, "json")

    def clean_temporary(self, ext: str, older_than: float = 3600) -> None:
        """Remove half-written files a crash left behind (an hour old: no writer is on them)."""
        now = time.time()
        for stale in self.tmp.glob(f"*.{ext}.*.part"):
            if now - stale.stat().st_mtime > older_than:
                stale.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
