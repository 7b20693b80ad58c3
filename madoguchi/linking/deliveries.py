"""A delivery's bookkeeping (待ち, 送付済, 失敗, retries), with no workflow of its own: the
status change schedules and withdraws deliveries here, the hand-over marks them. What
drives the application's workflow from a delivery (取込済 → 基幹連携済) is linking/actions.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Lookup, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.applications.models import Application
from madoguchi.applications.queries import id_in

from .constants import DeliveryState, HandoffMethod
from .models import Delivery
from .plugins import core_system


def schedule_delivery(application: Application, **_signal: object) -> Delivery:
    """待ち for the application's core system; on the status change to 基幹連携待ち
    (applications.signals.entering_handoff), inside its transaction."""
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


def withdraw_delivery(application: Application, **_signal: object) -> None:
    """The application leaves 基幹連携待ち other than by a hand-over (back to 審査, 取下げ;
    applications.signals.leaving_handoff):
    what was not sent is dropped; what the core system may already hold blocks the change."""
    deliveries = Delivery.objects.select_for_update().filter(application=application)
    if any(d.state in (DeliveryState.SENT, DeliveryState.ACKNOWLEDGED) for d in deliveries):
        raise ValidationError(
            _(
                "基幹システムへ送付済みのため変更できません。取込結果を待つか、基幹システム側で取り消してください"
            )
        )
    deliveries.delete()


def backoff(attempts: int, base_seconds: int) -> dt.timedelta:
    """1, 2, 4, 8 … times the base, at most a day."""
    return dt.timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 86400))


def _id_chunks(ids: list[int]) -> Iterator[Q | Lookup]:
    """Conditions that together select ``ids``: one on PostgreSQL (an array parameter),
    elsewhere one per 2,000 (SQLite's limit on parameters)."""
    size = len(ids) if connection.vendor == "postgresql" else 2000
    for start in range(0, len(ids), max(size, 1)):
        yield id_in(Delivery, ids[start : start + size])


def mark_sent(
    delivery_ids: list[int], *, method: HandoffMethod, batch_id: int | None = None
) -> int:
    """送付済 for the records of one hand-over, by the method that sent them; inside the
    caller's transaction."""
    now = timezone.now()
    done = 0
    for chunk in _id_chunks(delivery_ids):
        done += Delivery.objects.filter(chunk, state=DeliveryState.PENDING).update(
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


def hold_back(delivery_id: int, column: str, reason: str) -> None:
    """保留: a waiting record a hand-over could not carry as it is (a character, a length, a
    control character), kept 待ち with the column and the reason for a clerk."""
    hold_back_many([(delivery_id, column, reason)])


def hold_back_many(records: list[tuple[int, str, str]]) -> None:
    """保留 for many records (a batch file's): one statement per distinct message, not one
    per record (a 100,000-record file may hold back thousands, mostly for a few reasons)."""
    by_message: dict[str, list[int]] = defaultdict(list)
    for delivery_id, column, reason in records:
        message = _("保留: 「%(column)s」の%(reason)s") % {"column": column, "reason": reason}
        by_message[message].append(delivery_id)
    for message, ids in by_message.items():
        for start in range(0, len(ids), 5000):
            Delivery.objects.filter(
                pk__in=ids[start : start + 5000], state=DeliveryState.PENDING
            ).update(held_back=True, last_error=message)
