"""Retention: after a procedure's period, a closed application keeps only what proves it
existed (受付番号, procedure, dates, status, the package's SHA-256) and loses its personal
data: form, attachments, the package itself, the certificate and the resident links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from madoguchi.applications.actions.retention import purge
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import OPEN_STATUSES, Status

from .models import Application

CLOSED = [status for status in Status if status not in OPEN_STATUSES]


def retention_years(application: Application) -> int:
    return int(application.procedure.definition.get("retention_years", settings.RETENTION_YEARS))


def due(now: dt.datetime | None = None) -> list[Application]:
    """Closed applications whose retention period has ended and that still hold data."""
    now = now or timezone.now()
    # The database narrows to the shortest period in force; each entry's own period decides.
    shortest = min(
        [settings.RETENTION_YEARS]
        + [
            int(p.definition["retention_years"])
            for p in Procedure.objects.all()
            if "retention_years" in p.definition
        ]
    )
    candidates = Application.objects.filter(
        status__in=CLOSED,
        purged_at__isnull=True,
        status_changed_at__lt=now - dt.timedelta(days=365 * shortest),
    ).select_related("procedure")
    return [
        a
        for a in candidates.order_by("status_changed_at")
        if a.status_changed_at < now - dt.timedelta(days=365 * retention_years(a))
    ]


@dataclass
class RetentionReport:
    purged: list[str] = field(default_factory=list)


def run(*, apply: bool, now: dt.datetime | None = None) -> RetentionReport:
    report = RetentionReport()
    for application in due(now):
        if apply:
            purge(application.pk, now, retention_years=retention_years(application))
        report.purged.append(application.receipt_number)
    return report
