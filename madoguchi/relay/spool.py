"""The spool: the one folder through which the relay and the 申請管理 side talk.

Inbound, the relay puts packages in ``incoming/``; outbound, the 申請管理 side puts status
updates for the portal in ``outbox/``, and the relay moves each to ``sent/`` once the
portal has it. Every file appears whole (temporary name, fsync, atomic rename) and carries
an HMAC of its content in its name, keyed with a secret only the two sides hold, so a file
dropped there by anyone else is refused, not processed.

Packages are sealed for the 申請管理 side (libsodium sealed boxes: X25519, XSalsa20-Poly1305)
before they are written: that side publishes its public key in ``keys/`` (authenticated
like any spool file) and only its private key opens them, so neither the relay's host nor
the shared folder ever holds a readable package — and the forms' 個人番号 with it. Until a
key is published, packages are spooled as they came (an older 申請管理 side still reads
them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,39}", re.ASCII)
SPOOLED = re.compile(
    r"(?P<name>[0-9A-Za-z][0-9A-Za-z-]{0,39})\.(?P<mac>[0-9a-f]{64})\.(?P<ext>zip|box|json|pub)",
    re.ASCII,
)


# The one place madoguchi writes for another user to read: the relay's user and the
# worker's share the spool through a group, setgid folders keep that group on new files.
SHARED_FOLDER = 0o2770
SHARED_FILE = 0o660


class SpoolError(Exception):
    pass


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    name: str  # 受付番号, or a status update's id

    @property
    def sealed(self) -> bool:
        return self.path.suffix == ".box"

    def read(self) -> bytes:
        return self.path.read_bytes()

    def written_at(self) -> dt.datetime:
        """When the relay spooled it: the time it took the package from the portal."""
        return dt.datetime.fromtimestamp(self.path.stat().st_mtime, tz=dt.UTC)

    def open(self, private_key: bytes) -> bytes:
        """A package as the portal gave it: unsealed with the 申請管理 side's key."""
        if not self.sealed:
            return self.read()
        try:
            return SealedBox(PrivateKey(private_key)).decrypt(self.read())
        except CryptoError as exc:
            raise SpoolError(
                "封をした申請データを開けません(公開した鍵と MADOGUCHI_SPOOL_PRIVATE_KEY が"
                "対応していません)"
            ) from exc


def public_key_of(private_key: bytes) -> bytes:
    return bytes(PrivateKey(private_key).public_key)


class Spool:
    def __init__(self, root: Path, key: bytes, pin: Path | None = None) -> None:
        """``pin``: where the relay keeps the last key it saw published, outside the spool,
        so that someone who can delete files there cannot make it spool in clear again."""
        if not key:
            raise SpoolError("the hand-over key is empty")
        self.root = root
        self.key = key
        self.pin = pin
        self.incoming = root / "incoming"
        self.outbox = root / "outbox"
        self.sent = root / "sent"
        self.rejected = root / "rejected"
        self.tmp = root / "tmp"
        self.fetched = root / "fetched"
        self.keys = root / "keys"
        self.heartbeats = root / "heartbeat"
        for folder in (
            self.root,
            self.incoming,
            self.outbox,
            self.sent,
            self.rejected,
            self.tmp,
            self.fetched,
            self.keys,
            self.heartbeats,
        ):
            folder.mkdir(parents=True, exist_ok=True)
            _share(folder, SHARED_FOLDER)

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
            os.fchmod(f.fileno(), SHARED_FILE)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        _fsync_dir(folder)
        return target

    def _list(self, folder: Path, *exts: str) -> list[SpooledFile]:
        """Files whose MAC matches; any other file is moved to ``rejected/``. A file another
        worker took meanwhile is passed over."""
        found = []
        for path in sorted(folder.iterdir()):
            match = SPOOLED.fullmatch(path.name)
            if not path.exists():
                continue
            if not path.is_file():
                self.reject(path, "ファイルではありません")
                continue
            if match and match["ext"] in exts:
                try:
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue
                mac = self.mac(folder, match["name"], match["ext"], data)
                if hmac.compare_digest(mac, match["mac"]):
                    found.append(SpooledFile(path, match["name"]))
                    continue
            self.reject(path, f"{folder.name}/ のファイルとして認証できません (名前・MAC・種類)")
        return found

    def reject(self, path: Path, reason: str) -> None:
        """Set a file aside in ``rejected/`` with a reason file beside it; never processed."""
        target = self.rejected / path.name
        try:
            os.replace(path, target)
        except FileNotFoundError:  # another worker took it meanwhile
            return
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")

    # --- inbound: packages ---

    def was_fetched(self, receipt_number: str) -> bool:
        return (self.fetched / receipt_number).exists()

    def put(self, receipt_number: str, data: bytes) -> Path:
        """Store a package durably (sealed when the 申請管理 side has published its key),
        then remember it was fetched (in that order)."""
        key = self.seal_key()
        if key is None:
            target = self._write(self.incoming, receipt_number, "zip", data)
        else:
            sealed = SealedBox(PublicKey(key)).encrypt(data)
            target = self._write(self.incoming, receipt_number, "box", sealed)
        (self.fetched / receipt_number).write_text(hashlib.sha256(data).hexdigest())
        _fsync_dir(self.fetched)
        return target

    def forget_fetched(self, known: set[str]) -> list[str]:
        """After a restore: forget having fetched what the restored database does not hold,
        so the relay fetches it again while the portal still lists it."""
        forgotten = []
        waiting = {f.name for f in self.pending()}  # spooled, not yet imported: not lost
        for marker in sorted(self.fetched.iterdir()):
            if marker.name not in known and marker.name not in waiting:
                marker.unlink(missing_ok=True)
                forgotten.append(marker.name)
        if forgotten:
            _fsync_dir(self.fetched)
        return forgotten

    def waiting(self) -> dict[str, int]:
        """How many files wait in each direction, by their names alone (a heartbeat's
        backlog: nothing is read or authenticated for it)."""
        return {
            "incoming": sum(1 for p in self.incoming.iterdir() if SPOOLED.fullmatch(p.name)),
            "outbox": sum(1 for p in self.outbox.iterdir() if SPOOLED.fullmatch(p.name)),
        }

    def pending(self) -> list[SpooledFile]:
        return self._list(self.incoming, "zip", "box")

    # --- the 申請管理 side's public key, for sealing packages ---

    def publish_seal_key(self, public_key: bytes) -> None:
        """Put the key packages are sealed to in ``keys/`` (once; replaced when it changes)."""
        current = [(f, f.read()) for f in self._list(self.keys, "pub")]
        if [key for _f, key in current] == [public_key]:
            return
        self._write(self.keys, "seal", "pub", public_key)
        for old, key in current:
            if key != public_key:
                old.path.unlink()

    def seal_key(self) -> bytes | None:
        """The published key (the newest, while a new one replaces the old), else the one
        pinned when it was last seen; None only before any was ever published."""
        found = sorted(
            (f for f in self._list(self.keys, "pub") if f.name == "seal"),
            key=lambda f: f.path.stat().st_mtime_ns,
        )
        key = found[-1].read() if found else b""
        pinned = self.pin.read_bytes() if self.pin is not None and self.pin.exists() else b""
        if len(key) == 32:
            if self.pin is not None and pinned != key:
                self.pin.parent.mkdir(parents=True, exist_ok=True)
                self.pin.write_bytes(key)
            return key
        return pinned if len(pinned) == 32 else None

    # --- heartbeats: the relay's last pass, for `madoguchi status` on the other side ---

    def beat(self, component: str, document: dict[str, object]) -> None:
        """Replace ``component``'s heartbeat (one authenticated JSON file)."""
        data = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
        written = self._write(self.heartbeats, component, "json", data)
        for old in self.heartbeats.glob(f"{component}.*.json"):
            if old != written:
                old.unlink(missing_ok=True)

    def heartbeat(self, component: str) -> dict[str, object] | None:
        beats = [f for f in self._list(self.heartbeats, "json") if f.name == component]
        if not beats:
            return None
        newest = max(beats, key=lambda f: f.path.stat().st_mtime_ns)
        document: dict[str, object] = json.loads(newest.read())
        return document

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


def _share(folder: Path, mode: int) -> None:
    """The spool is shared by the relay's user and the worker's through a common group
    (docs/deployment.md); a folder another user owns is left as its owner set it."""
    if folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o7777 != mode:
        folder.chmod(mode)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
