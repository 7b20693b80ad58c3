"""Background work on applications; each step takes ids and is safe to repeat."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from madoguchi.procedures.models import Procedure
from madoguchi.relay.spool import Spool

from .models import Application, ArrivalMail, ArrivalSubscription, PortalStatusUpdate


def export_portal_updates(spool: Spool) -> int:
    """Hand every status update not yet handed over to the relay, through the spool."""
    done = 0
    pending = PortalStatusUpdate.objects.filter(exported_at__isnull=True).select_related(
        "application"
    )
    for update in pending.order_by("id")[:500]:
        body = {
            "ref": f"madoguchi-{update.pk}",
            "receipt_number": update.application.receipt_number,
            "status": update.status,
            "message": update.message,
        }
        # Posting the same id twice writes the same file: a crash here repeats nothing. The
        # relay posts in name order, so the id is zero-padded: update 10 after update 9.
        spool.post(f"{update.pk:012d}", json.dumps(body, ensure_ascii=False).encode())
        done += PortalStatusUpdate.objects.filter(pk=update.pk, exported_at__isnull=True).update(
            exported_at=timezone.now()
        )
    return done


def collect_acknowledgements(spool: Spool) -> int:
    """Mark as sent what the relay has delivered to the portal."""
    done = 0
    for acknowledged in spool.acknowledged():
        done += PortalStatusUpdate.objects.filter(
            pk=int(acknowledged.name), sent_at__isnull=True
        ).update(sent_at=timezone.now())
        acknowledged.path.unlink()
    return done


def send_arrival_mails(now: dt.datetime | None = None) -> int:
    """新着メール: to each subscriber, the number of applications of their procedure that
    arrived since they were last told (immediately, or once a day after DIGEST_HOUR), with a
    link to them in the inbox. No name, no receipt number: the mail leaves the office."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    sent = 0
    subscriptions = ArrivalSubscription.objects.select_related("user").filter(user__is_active=True)
    for subscription in subscriptions.exclude(user__email=""):
        since = subscription.told_until or subscription.created_at
        if subscription.frequency == ArrivalMail.DAILY and (
            local.hour < settings.DIGEST_HOUR or timezone.localdate(since) == local.date()
        ):
            continue
        arrived = (
            Application.objects.visible_to(subscription.user)
            .filter(
                procedure__procedure_id=subscription.procedure_id,
                received_at__gt=since,
                received_at__lte=now,
            )
            .count()
        )
        if arrived:
            name = (
                Procedure.objects.filter(procedure_id=subscription.procedure_id)
                .order_by("-version")
                .values_list("name", flat=True)
                .first()
            ) or subscription.procedure_id
            query = urlencode({"procedure": subscription.procedure_id, "unread": "on"})
            send_mail(
                f"[madoguchi] 新しい申請 {arrived} 件({name})",
                f"「{name}」の新しい申請が {arrived} 件届いています。\n"
                f"{settings.SITE_URL}/applications/?{query}\n\n"
                "このメールには申請者の情報を載せていません。内容は申請管理システムで"
                "確認してください。通知の設定は申請一覧の「新着メールの設定」で変えられます。",
                None,
                [subscription.user.email],
            )
            sent += 1
        ArrivalSubscription.objects.filter(pk=subscription.pk).update(told_until=now)
    return sent
