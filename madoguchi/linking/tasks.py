"""The worker's hand-over duties; each is safe to repeat and to run in several workers."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.procedures.models import Procedure

from .batch import ExportReport, export_version, publish_unpublished
from .constants import DeliveryState, HandoffMethod
from .deliveries import retry_due
from .models import BatchFile, Delivery, DigestRun
from .plugins import CoreSystem, all_core_systems
from .reconcile import ResultFileError, import_results

log = logging.getLogger(__name__)


def outgoing_dir(key: str) -> Path:
    return Path(settings.DATA_DIR) / "handoff" / key / "outgoing"


def run_scheduled_batches(systems: list[CoreSystem], now: dt.datetime | None = None) -> int:
    """方式4 on schedule: for each core system configured with ``batch_every_minutes``, when
    the interval has passed, one file per procedure version of what is waiting, delivered."""
    now = now or timezone.now()
    files = 0
    for plugin in systems:
        every = plugin.config.batch_every_minutes
        if not every:
            continue
        out = outgoing_dir(plugin.key)
        out.mkdir(parents=True, exist_ok=True)
        files += publish_unpublished(plugin, out)
        last = BatchFile.objects.filter(core_system=plugin.key).first()
        if last is not None and last.created_at > now - dt.timedelta(minutes=every):
            continue
        procedures = Procedure.objects.filter(
            pk__in=Delivery.objects.filter(
                core_system=plugin.key, state=DeliveryState.PENDING, method=HandoffMethod.BATCH
            ).values("application__procedure")
        ).order_by("procedure_id", "version")
        for procedure in procedures:
            report = ExportReport()
            export_version(
                procedure,
                plugin.config.batch_format,
                out,
                report,
                actor=None,
                plugin=plugin,
                deliver=True,
                method=HandoffMethod.BATCH,
            )
            files += len(report.files)
            for held in report.held_back:
                log.warning("hand-over: %s held back: %s", held.receipt_number, held.reason)
    return files


def import_result_files(systems: list[CoreSystem]) -> int:
    """Reconcile every result file a core system has left in its ``result_dir``; a file is
    moved to ``done/`` (or ``unreadable/``) once read, so it is never read twice."""
    done = 0
    for plugin in systems:
        folder = plugin.config.result_dir
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.csv")):
            if path.name.startswith("."):
                continue  # a file still being written (docs/core-systems.md: write, then rename)
            try:
                outcome = import_results(path.read_bytes(), path.name, plugin.key)
                target = folder / "done"
                for error in outcome.errors:
                    log.warning(
                        "hand-over: result file %s line %d (%s) not used: %s",
                        path.name,
                        error.line,
                        error.receipt_number or "—",
                        error.reason,
                    )
            except ResultFileError as exc:
                log.warning("hand-over: result file %s not read: %s", path, exc)
                target = folder / "unreadable"
            target.mkdir(exist_ok=True)
            os.replace(path, target / path.name)
            done += 1
    return done


def failures(since: dt.datetime, among: QuerySet[Delivery] | None = None) -> list[Delivery]:
    """What staff should hear about (of ``among``, by default all): failures since then,
    records held back from a file (a character or a length), and what was sent over a day
    ago without any result."""
    stale = timezone.now() - dt.timedelta(days=1)
    return list(
        (Delivery.objects.all() if among is None else among)
        .filter(
            Q(state=DeliveryState.FAILED, failed_at__gte=since)
            | Q(state=DeliveryState.FAILED, next_attempt_at__isnull=True)
            | Q(held_back=True)
            | Q(state=DeliveryState.SENT, sent_at__lt=stale)
        )
        .select_related("application__procedure__department")
        .order_by("application__procedure__department", "core_system", "id")
    )


def send_failure_digest(now: dt.datetime | None = None) -> int:
    """Once a day (after DIGEST_HOUR, local time): each department's staff get the list of
    their failed or unanswered hand-overs by mail. Returns the number of mails sent."""
    now = timezone.localtime(now or timezone.now())
    if now.hour < settings.DIGEST_HOUR:
        return 0
    found = failures(now - dt.timedelta(days=1))
    try:
        with transaction.atomic():
            DigestRun.objects.create(day=now.date(), failures=len(found))
    except IntegrityError:
        return 0  # another worker sent today's
    by_department: dict[int, list[Delivery]] = {}
    for delivery in found:
        by_department.setdefault(delivery.application.procedure.department_id, []).append(delivery)
    sent = 0
    for department_id, items in by_department.items():
        recipients = list(
            User.objects.filter(department_id=department_id, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if not recipients:
            continue
        lines = [
            f"- {d.application.receipt_number} {d.application.procedure.name} → "
            f"{d.core_system}: {d.get_state_display()} {d.last_error or '取込結果なし'}"
            for d in items
        ]
        body = (
            f"{now:%Y年%m月%d日} 時点で、基幹システムへの連携に失敗した、または取込結果が"
            f"届いていない申請が {len(items)} 件あります。\n"
            "基幹連携の画面で内容を確認し、再送してください。\n\n" + "\n".join(lines)
        )
        send_mail(
            f"[madoguchi] 基幹連携の失敗 {len(items)} 件",
            body,
            None,
            recipients,
        )
        sent += 1
    return sent


def hand_over(now: dt.datetime | None = None) -> None:
    """One pass of the worker's hand-over duties."""
    retry_due(now)
    systems = all_core_systems()  # the configuration, read once per pass
    run_scheduled_batches(systems, now)
    import_result_files(systems)
    send_failure_digest(now)
