from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from madoguchi.accounts.models import User

from .constants import AuditAction
from .models import GENESIS_HASH, AuditEvent, ChainHead

SYSTEM_ACTOR = "system"


def record(
    action: AuditAction,
    *,
    actor: User | None,
    target_type: str = "",
    target_id: str = "",
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor,
            actor_name=actor.username if actor else SYSTEM_ACTOR,
            action=int(action),
            target_type=target_type,
            target_id=target_id,
            extra=extra or {},
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


def verify_chain() -> list[str]:
    """Problems found walking the chain from the start; empty when it is intact."""
    problems: list[str] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            problems.append(f"seq {expected_seq}: 記録が欠落しています (次は seq {event.seq})")
            expected_seq = event.seq
        if event.prev_hash != prev_hash:
            problems.append(f"seq {event.seq}: 直前の記録とつながっていません")
        if event.compute_hash() != event.hash:
            problems.append(f"seq {event.seq}: 内容が改ざんされています")
        prev_hash = event.hash
        expected_seq += 1
    head = ChainHead.objects.filter(pk=1).first()
    if head and (head.last_seq != expected_seq - 1 or head.last_hash != prev_hash):
        problems.append("末尾の記録が削除されています")
    return problems
