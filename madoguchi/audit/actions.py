from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from . import anchors
from .constants import AuditAction
from .models import GENESIS_HASH, AuditEvent, ChainHead, audit_keys

SYSTEM_ACTOR = "system"


class AuditTarget(Protocol):
    """What an event is about: a model that names itself for the log (an application by
    its 受付番号, a resident by its 住民票コード)."""

    @property
    def audit_target(self) -> tuple[str, str]: ...


def record(
    action: AuditAction,
    *,
    actor: AbstractBaseUser | None,
    target: AuditTarget | None = None,
    target_type: str = "",
    target_id: str = "",
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction. The event is about
    ``target`` (preferred), or what ``target_type`` and ``target_id`` name (a file, a
    package, a procedure)."""
    if target is not None:
        target_type, target_id = target.audit_target
    current_id, key = next(iter(audit_keys().items()))
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _lock_head()
        event = AuditEvent(
            seq=seq + 1,
            at=timezone.now(),
            # Any member of staff: the log sits below accounts and names no user model.
            actor_id=actor.pk if actor else None,
            actor_name=actor.get_username() if actor else SYSTEM_ACTOR,
            action=int(action),
            target_type=target_type,
            target_id=target_id,
            extra=extra or {},
            prev_hash=prev_hash,
            key_id=current_id,
        )
        event.hash = event.compute_hash(key)
        event.save()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ChainHead._meta.db_table} SET last_seq = %s, last_hash = %s"  # noqa: S608
                " WHERE id = 1",
                [event.seq, event.hash],
            )
    return event


def _lock_head() -> tuple[int, str]:
    """The chain's head (sequence, hash), locked until the caller's transaction ends, so
    that appends never fork. Every audited action passes here: the SQL is written once (the
    ORM's get_or_create and save cost more than the statements themselves)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT last_seq, last_hash FROM {ChainHead._meta.db_table} WHERE id = 1{lock}"  # noqa: S608
        )
        row = cursor.fetchone()
    if row is None:  # the very first event of an installation
        head, _created = ChainHead.objects.select_for_update().get_or_create(pk=1)
        return head.last_seq, head.last_hash
    return int(row[0]), str(row[1])


def anchor(path: Path | None = None) -> dict[str, Any] | None:
    """Append a signed checkpoint of the chain's head (sequence, hash, time) to the anchor
    file — every period, also when nothing changed (audit/anchors.py); None while the log
    is empty."""
    head = ChainHead.objects.filter(pk=1).first()
    if head is None or head.last_seq == 0:
        return None
    key_id, key = next(iter(audit_keys().items()))
    return anchors.append(
        path or settings.AUDIT_ANCHOR_FILE, key_id, key, "checkpoint", head.last_seq, head.last_hash
    )


def record_restore(backup_created_at: str, path: Path | None = None) -> dict[str, Any]:
    """A restore, as a signed line of the anchor file: the head the backup brought back.
    Checkpoints of the rewound timeline are explained by it; nothing else is."""
    head = ChainHead.objects.filter(pk=1).first()
    key_id, key = next(iter(audit_keys().items()))
    return anchors.append(
        path or settings.AUDIT_ANCHOR_FILE,
        key_id,
        key,
        "restore",
        head.last_seq if head else 0,
        head.last_hash if head else GENESIS_HASH,
        backup_created_at=backup_created_at,
    )


def verify_chain(anchor_path: Path | None = None) -> list[str]:
    """Problems found walking the chain from the start and checking every checkpoint of the
    anchor file against it; empty when both are intact."""
    keys = audit_keys()
    problems: list[str] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    hashes: dict[int, str] = {0: GENESIS_HASH}  # the head of an empty chain (a restore of one)
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            problems.append(f"seq {expected_seq}: 記録が欠落しています (次は seq {event.seq})")
            expected_seq = event.seq
        if event.prev_hash != prev_hash:
            problems.append(f"seq {event.seq}: 直前の記録とつながっていません")
        key = keys.get(event.key_id)
        if key is None:
            problems.append(
                f"seq {event.seq}: 封印した鍵 ({event.key_id or 'なし'}) が設定にありません"
            )
        elif not hmac.compare_digest(event.compute_hash(key), event.hash):
            problems.append(f"seq {event.seq}: 内容が改ざんされています")
        hashes[event.seq] = event.hash
        prev_hash = event.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    head = ChainHead.objects.filter(pk=1).first()
    if head and (head.last_seq != last_seq or head.last_hash != prev_hash):
        problems.append("末尾の記録が削除されています")
    path = anchor_path or settings.AUDIT_ANCHOR_FILE
    if path.exists():
        problems += anchors.check(anchors.read(path), hashes, keys)
    else:
        oldest = AuditEvent.objects.order_by("seq").values_list("at", flat=True).first()
        problems += anchors.missing(oldest)
    return problems


def record_log_export(actor: AbstractBaseUser, filters: dict[str, str]) -> AuditEvent:
    """Downloading the audit log is itself an audited read."""
    with transaction.atomic():
        return record(
            AuditAction.AUDIT_LOG_EXPORTED,
            actor=actor,
            target_type="audit",
            extra={"filters": filters},
        )
