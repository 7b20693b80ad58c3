"""The only code that changes a delivery's state (待ち → 送付済 → 取込済 / 失敗)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.applications.actions import change_status
from madoguchi.applications.constants import Status
from madoguchi.applications.models import Application
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

from .constants import MARKED_BY_STAFF, DeliveryState, HandoffMethod
from .models import Delivery
from .plugins import core_system


def schedule_delivery(application: Application) -> Delivery:
    """待ち for the application's core system; called by the status change to 基幹連携待ち,
    inside its transaction."""
    plugin = core_system(application.procedure.core_system)
    delivery, _created = Delivery.objects.update_or_create(
        application=application,
        core_system=plugin.key,
        defaults={
            "method": plugin.method_for(application.procedure),
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "next_attempt_at": None,
            "last_error": "",
            "held_back": False,
            "batch": None,
            "sent_at": None,
            "failed_at": None,
        },
    )
    return delivery


def withdraw_delivery(application: Application) -> None:
    """The application leaves 基幹連携待ち other than by a hand-over (back to 審査, 取下げ):
    what was not sent is dropped; what the core system may already hold blocks the change."""
    deliveries = Delivery.objects.select_for_update().filter(application=application)
    if any(d.state in (DeliveryState.SENT, DeliveryState.ACKNOWLEDGED) for d in deliveries):
        raise ValidationError(
            _(
                "基幹システムへ送付済みのため変更できません。取込結果を待つか、基幹システム側で取り消してください"
            )
        )
    deliveries.delete()


@transaction.atomic
def acknowledge(
    delivery_id: int,
    *,
    ok: bool,
    external_key: str = "",
    error: str = "",
    actor: User | None = None,
    via: str,
) -> Delivery:
    """The core system's answer for one record (or a clerk's 転記済): 取込済 moves the
    application to 基幹連携済; 失敗 keeps it 基幹連携待ち for a clerk to resend.

    Repeating the same answer changes nothing (a core system may send it twice).
    """
    delivery = (
        Delivery.objects.select_for_update().select_related("application").get(pk=delivery_id)
    )
    if delivery.state == DeliveryState.ACKNOWLEDGED:
        if ok:
            return delivery
        raise ValidationError(_("取込済の申請です"))
    now = timezone.now()
    delivery.held_back = False  # answered: no longer waiting for anything
    if ok:
        delivery.state = DeliveryState.ACKNOWLEDGED
        delivery.acknowledged_at = now
        delivery.external_key = external_key.strip()[:100]
        delivery.next_attempt_at = None
        delivery.save()
        change_status(delivery.application_id, Status.HANDED_OFF, actor=actor, handoff=True)
        action, extra = AuditAction.HANDOFF_ACKNOWLEDGED, {"external_key": delivery.external_key}
    else:
        delivery.state = DeliveryState.FAILED
        delivery.failed_at = now
        delivery.last_error = error.strip()[:2000] or _("理由の記載なし")
        delivery.next_attempt_at = None
        delivery.save()
        action, extra = AuditAction.HANDOFF_FAILED, {"error": delivery.last_error}
    record(
        action,
        actor=actor,
        target_type="application",
        target_id=delivery.application.receipt_number,
        extra={"core_system": delivery.core_system, "via": via, **extra},
    )
    return delivery


@transaction.atomic
def mark_transcribed(delivery_id: int, *, actor: User) -> Delivery:
    """転記済: a clerk (or an RPA tool under a clerk's login) has keyed the record in; also
    the way out for a record a batch file could not carry (held back, still 待ち)."""
    delivery = Delivery.objects.select_related("application").get(pk=delivery_id)
    if not Application.objects.visible_to(actor).filter(pk=delivery.application_id).exists():
        raise PermissionDenied
    if delivery.method not in MARKED_BY_STAFF and not delivery.is_held_back:
        raise ValidationError(_("この申請は転記ではなく基幹システムが取り込みます"))
    return acknowledge(delivery_id, ok=True, actor=actor, via="transcription")


@transaction.atomic
def resend(delivery_id: int, *, actor: User) -> Delivery:
    """A clerk sends a failed record again (after fixing what the core system refused)."""
    delivery = (
        Delivery.objects.select_for_update().select_related("application").get(pk=delivery_id)
    )
    if not Application.objects.visible_to(actor).filter(pk=delivery.application_id).exists():
        raise PermissionDenied
    if delivery.state not in (DeliveryState.FAILED, DeliveryState.SENT):
        raise ValidationError(_("再送できるのは失敗または送付済の連携です"))
    previous = delivery.state
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = None
    # A fresh start: what failed before is in the audit log, not a reason to hold it back.
    delivery.last_error = ""
    delivery.held_back = False
    delivery.save(update_fields=["state", "next_attempt_at", "last_error", "held_back"])
    record(
        AuditAction.HANDOFF_RESENT,
        actor=actor,
        target_type="application",
        target_id=delivery.application.receipt_number,
        extra={"core_system": delivery.core_system, "from": previous},
    )
    return delivery


def backoff(attempts: int, base_seconds: int) -> dt.timedelta:
    """1, 2, 4, 8 … times the base, at most a day."""
    return dt.timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 86400))


def mark_sent(
    delivery_ids: list[int], *, method: HandoffMethod, batch_id: int | None = None
) -> int:
    """送付済 for the records of one hand-over, by the method that sent them; inside the
    caller's transaction."""
    now = timezone.now()
    done = 0
    for start in range(0, len(delivery_ids), 2000):
        chunk = delivery_ids[start : start + 2000]
        done += Delivery.objects.filter(pk__in=chunk, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENT,
            method=method,
            sent_at=now,
            batch_id=batch_id,
            attempts=F("attempts") + 1,
            last_error="",
            held_back=False,
        )
    return done


def record_send_failure(
    delivery_ids: list[int], error: str, *, max_attempts: int, retry_seconds: int
) -> None:
    """A send that did not reach the core system (its attempt was counted when it was marked
    送付済): 失敗, retried automatically with back-off until the attempt limit, then left
    for a clerk."""
    now = timezone.now()
    with transaction.atomic():
        for delivery in Delivery.objects.select_for_update().filter(pk__in=delivery_ids):
            delivery.state = DeliveryState.FAILED
            delivery.failed_at = now
            delivery.last_error = error[:2000]
            delivery.next_attempt_at = (
                now + backoff(delivery.attempts, retry_seconds)
                if delivery.attempts < max_attempts
                else None
            )
            delivery.save()


def retry_due(now: dt.datetime | None = None) -> int:
    """Failed sends whose back-off has passed go back to 待ち for the next hand-over."""
    now = now or timezone.now()
    return Delivery.objects.filter(state=DeliveryState.FAILED, next_attempt_at__lte=now).update(
        state=DeliveryState.PENDING, next_attempt_at=None, last_error="", held_back=False
    )
