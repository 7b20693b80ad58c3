"""Backups that lose nothing (docs/operations.md).

`backup create` writes one archive (mode 600): the database, the audit anchor file, the
letters made, the municipality's configuration files (core systems, own catalog entries,
directory groups) and a manifest with every member's SHA-256 and the audit chain's head.
No secret is in it: the keys stay apart from the backups (docs/deployment.md).

`backup restore` checks the archive whole before touching anything, restores the database
(as the role that owns it, named when it is another) and the letters, records the restore
as a signed line of the anchor file (so checkpoints written after the backup are explained,
and no other shortening), and makes the relay fetch again whatever arrived after the backup
and the portal still holds (import is idempotent by 受付番号). A plain database file from
an older version is still restored as before.
"""

from __future__ import annotations

import errno
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from madoguchi.applications.models import Application, CorrectionReply
from madoguchi.audit.actions import record_restore
from madoguchi.audit.models import ChainHead
from madoguchi.intake.models import QuarantinedPackage
from madoguchi.relay.passes import relay_spool

from .archives import ArchiveError, sha256_of, unpack, write
from .database_copy import BackupError, dump, load

FORMAT = "madoguchi-backup/1"
MANIFEST = "manifest.json"


@dataclass
class RestoreReport:
    created_at: str
    applications: int
    refetch: list[str] = field(default_factory=list)
    letters: int = 0
    config_copy: str | None = None


def _configuration() -> dict[str, Path]:
    """The municipality's own files, by their name in the archive."""
    found: dict[str, Path] = {}
    for name, value in (
        ("core_systems.toml", settings.CORE_SYSTEMS_FILE),
        ("ldap-groups.toml", settings.LDAP_GROUPS_FILE),
    ):
        if value and Path(value).is_file():
            found[f"config/{name}"] = Path(value)
    if settings.PROCEDURES_EXTRA_DIR:
        root = Path(settings.PROCEDURES_EXTRA_DIR)
        for path in sorted(root.rglob("*.toml")):
            found[f"config/procedures/{path.relative_to(root).as_posix()}"] = path
    return found


def create(target: Path) -> dict[str, Any]:
    """Write the archive (whole or not at all: a temporary name, then a rename)."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _create(target)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise BackupError(
                f"{target.parent} のディスクに空きがありません。バックアップは作られていません"
                "(途中のファイルも残していません)。空きを作ってからもう一度実行してください"
            ) from exc
        raise


def _create(target: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        suffix = "sqlite3" if connection.vendor == "sqlite" else "pgdump"
        database = dump(Path(work) / f"database.{suffix}")
        members: dict[str, Path] = {f"database.{suffix}": database}
        if settings.AUDIT_ANCHOR_FILE.exists():
            members["audit-anchors.jsonl"] = settings.AUDIT_ANCHOR_FILE
        letters = settings.DATA_DIR / "letters"
        if letters.is_dir():
            for path in sorted(letters.rglob("*")):
                if path.is_file():
                    members[f"letters/{path.relative_to(letters).as_posix()}"] = path
        members.update(_configuration())
        head = ChainHead.objects.filter(pk=1).first()
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "madoguchi": version("madoguchi"),
            "vendor": connection.vendor,
            "municipality_code": settings.MUNICIPALITY_CODE,
            "audit_head": {"seq": head.last_seq, "hash": head.last_hash} if head else None,
            "files": {name: sha256_of(path) for name, path in members.items()},
        }
        partial = Path(work) / "archive.part"
        write(partial, MANIFEST, manifest, members, gzip=True)
        os.replace(partial, target)
    return manifest


def _open(source: Path, into: Path) -> dict[str, Any]:
    """The archive unpacked into ``into`` and checked against its manifest, or an error
    saying what is wrong; nothing else is touched before this has passed."""
    try:
        manifest = unpack(source, into, MANIFEST, FORMAT, "バックアップ")
    except ArchiveError as exc:
        raise BackupError(str(exc)) from exc
    if manifest.get("vendor") != connection.vendor:
        raise BackupError(
            f"{manifest.get('vendor')} のバックアップは {connection.vendor} には復元できません"
        )
    return manifest


def restore(source: Path) -> RestoreReport:
    if not source.is_file():
        raise BackupError(f"ファイルがありません: {source}")
    if not tarfile.is_tarfile(source):
        load(source)  # a database file as older versions wrote it
        return _after_restore("", letters=0, config_copy=None)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    restored = settings.DATA_DIR / "restored" / stamp
    restored.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR, prefix=".restore-") as work:
        unpacked = Path(work)
        manifest = _open(source, unpacked)
        database = next(n for n in manifest["files"] if n.startswith("database."))
        load(unpacked / database)
        letters = settings.DATA_DIR / "letters"
        if (unpacked / "letters").is_dir():
            shutil.rmtree(letters, ignore_errors=True)
            shutil.move(unpacked / "letters", letters)
        count = sum(1 for n in manifest["files"] if n.startswith("letters/"))
        config_copy = None
        if (unpacked / "config").is_dir():
            # For the administrator to compare: the live configuration is not overwritten.
            shutil.move(unpacked / "config", restored / "config")
            config_copy = str(restored / "config")
    return _after_restore(manifest["created_at"], letters=count, config_copy=config_copy)


def _after_restore(created_at: str, *, letters: int, config_copy: str | None) -> RestoreReport:
    record_restore(created_at or "unknown")
    known = set(Application.objects.values_list("receipt_number", flat=True))
    known |= set(CorrectionReply.objects.values_list("receipt_number", flat=True))
    known |= set(QuarantinedPackage.objects.values_list("receipt_number", flat=True))
    spool = relay_spool()
    refetch = spool.forget_fetched(known)
    return RestoreReport(
        created_at=created_at,
        applications=len(known),
        refetch=refetch,
        letters=letters,
        config_copy=config_copy,
    )
