from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from madoguchi.accounts.models import User

from .constants import AuditAction
from .models import GENESIS_HASH, AuditEvent, ChainHead, audit_keys

SYSTEM_ACTOR = "system"
ANCHOR_FORMAT = "madoguchi-audit-anchor/1"


class AuditTarget(Protocol):
    """What an event is about: a model that names itself for the log (an application by
    its 受付番号, a resident by its 住民票コード)."""

    @property
    def audit_target(self) -> tuple[str, str]: ...


def record(
    action: AuditAction,
    *,
    actor: User | None,
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
            actor=actor,
            actor_name=actor.username if actor else SYSTEM_ACTOR,
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


def _anchor_mac(key: bytes, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def anchor(path: Path | None = None) -> dict[str, Any] | None:
    """Append a signed checkpoint of the chain's head (sequence, hash, time) to the anchor
    file; None when the log is empty or the head is already anchored."""
    path = path or settings.AUDIT_ANCHOR_FILE
    head = ChainHead.objects.filter(pk=1).first()
    if head is None or head.last_seq == 0:
        return None
    last = read_anchors(path)[-1:] if path.exists() else []
    if last and last[0].get("seq") == head.last_seq:
        return None
    current_id, key = next(iter(audit_keys().items()))
    body = {
        "format": ANCHOR_FORMAT,
        "seq": head.last_seq,
        "hash": head.last_hash,
        "at": timezone.now().isoformat(timespec="seconds"),
        "key_id": current_id,
    }
    checkpoint = body | {"mac": _anchor_mac(key, body)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(checkpoint, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return checkpoint


def read_anchors(path: Path) -> list[dict[str, Any]]:
    anchors = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            value = {"unreadable": line[:80]}
        anchors.append(value if isinstance(value, dict) else {"unreadable": line[:80]})
    return anchors


def verify_chain(anchor_path: Path | None = None) -> list[str]:
    """Problems found walking the chain from the start and checking every checkpoint of the
    anchor file against it; empty when both are intact."""
    keys = audit_keys()
    problems: list[str] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    hashes: dict[int, str] = {}
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
        problems += _check_anchors(read_anchors(path), hashes, keys)
    return problems


def _check_anchors(
    anchors: list[dict[str, Any]], hashes: dict[int, str], keys: dict[str, bytes]
) -> list[str]:
    problems = []
    for number, checkpoint in enumerate(anchors, start=1):
        where = f"アンカー {number} 行目"
        mac = checkpoint.pop("mac", "")
        key = keys.get(str(checkpoint.get("key_id", "")))
        if key is None or not hmac.compare_digest(_anchor_mac(key, checkpoint), str(mac)):
            problems.append(f"{where}: 署名を確認できません")
            continue
        seq = checkpoint["seq"]
        if seq not in hashes:
            problems.append(f"{where}: seq {seq} までの記録がありません (切り詰められています)")
        elif hashes[seq] != checkpoint["hash"]:
            problems.append(f"{where}: seq {seq} の記録がアンカーと一致しません")
    return problems


def record_log_export(actor: User, filters: dict[str, str]) -> AuditEvent:
    """Downloading the audit log is itself an audited read."""
    with transaction.atomic():
        return record(
            AuditAction.AUDIT_LOG_EXPORTED,
            actor=actor,
            target_type="audit",
            extra={"filters": filters},
        )
