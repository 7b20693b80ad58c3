"""Background work on applications; each step takes ids and is safe to repeat."""

from __future__ import annotations

import json

from django.utils import timezone

from madoguchi.relay.spool import Spool

from .models import PortalStatusUpdate


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
        # Posting the same id twice writes the same file: a crash here repeats nothing.
        spool.post(str(update.pk), json.dumps(body, ensure_ascii=False).encode())
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
