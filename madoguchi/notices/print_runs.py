"""A day's received applications as one PDF, made by the worker with its progress (the
screen polls it as it does a letters batch). Each application printed is an audited read of
the member of staff who asked, written in the transaction that keeps the file's record."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from madoguchi import jobs
from madoguchi.accounts.models import User
from madoguchi.applications.actions.reads import record_read
from madoguchi.applications.models import PACKAGE_COLUMNS, Application, Evidence
from madoguchi.audit.constants import AuditAction
from madoguchi.jobs import JobState
from madoguchi.lib.files import DiskFull, write_whole
from madoguchi.lib.wareki import to_wareki

from .models import PrintRun
from .pdf import render_pdf
from .print_pages import print_page, printed_by

# Applications rendered together: the progress moves in these steps.
CHUNK = 5
# The most one PDF holds; narrow by procedure for more.
PRINT_BATCH_LIMIT = 300


def day_applications(user: User, day: dt.date, procedure_id: str = "") -> list[Application]:
    """The day's received applications this member may read, in the order received."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
    chosen = Application.objects.visible_to(user).filter(
        received_at__gte=start, received_at__lt=start + dt.timedelta(days=1)
    )
    if procedure_id:
        chosen = chosen.filter(procedure__procedure_id=procedure_id)
    return list(
        chosen.select_related("procedure", "resident", "filed_by").order_by("received_at", "id")[
            : PRINT_BATCH_LIMIT + 1
        ]
    )


def render_day(
    user: User,
    day: dt.date,
    applications: list[Application],
    on_progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The applications as one PDF, each on its own pages, CHUNK at a time."""
    evidences = {
        e.application_id: e
        for e in Evidence.objects.filter(application__in=applications).defer(*PACKAGE_COLUMNS)
    }
    combined = pdfium.PdfDocument.new()
    if on_progress is not None:
        on_progress(0, len(applications))
    for start in range(0, len(applications), CHUNK):
        chunk = applications[start : start + CHUNK]
        part = render_pdf(
            "notices/applications.html",
            {"day": to_wareki(day), "pages": [print_page(a, evidences.get(a.pk)) for a in chunk]}
            | printed_by(user),
        )
        combined.import_pages(pdfium.PdfDocument(part))
        if on_progress is not None:
            on_progress(start + len(chunk), len(applications))
    buffer = io.BytesIO()
    combined.save(buffer)
    return buffer.getvalue()


def record_printed(applications: list[Application], user: User, day: dt.date) -> None:
    for application in applications:
        record_read(application, user, AuditAction.APPLICATION_PRINTED, {"batch": day.isoformat()})


def request_print(day: dt.date, procedure_id: str, *, actor: User) -> PrintRun:
    return PrintRun.objects.create(day=day, procedure_id=procedure_id[:80], requested_by=actor)


def print_path(run: PrintRun) -> Path:
    return Path(settings.DATA_DIR) / "prints" / f"run-{run.pk}" / run.file_name


def make_waiting_prints() -> int:
    """The worker's step: make every day print waiting (or left by a worker that died),
    the progress saved as it goes; the reads recorded only while this worker still holds
    the job. Returns how many it made."""
    made = 0
    while True:
        claimed = jobs.claim(PrintRun)
        if claimed is None:
            return made
        run: PrintRun = claimed
        user = run.requested_by
        try:
            if user is None or not user.is_active:
                raise PermissionError("依頼した職員が無効になりました")
            applications = day_applications(user, run.day, run.procedure_id)
            if len(applications) > PRINT_BATCH_LIMIT:
                raise ValueError(f"{PRINT_BATCH_LIMIT} 件を超えます。手続で絞り込んでください")

            def progress(done: int, total: int, job: PrintRun = run) -> None:
                jobs.renew(job, done=done, total=total)

            name = f"applications-{run.day.isoformat()}.pdf" if applications else ""
            if applications:
                pdf = render_day(user, run.day, applications, progress)
                path = Path(settings.DATA_DIR) / "prints" / f"run-{run.pk}" / name
                path.parent.mkdir(parents=True, exist_ok=True)
                write_whole(path, pdf)
            with transaction.atomic():
                jobs.hold(run)
                record_printed(applications, user, run.day)
        except jobs.LostLease:
            continue
        except DiskFull as exc:
            jobs.release(run, error=str(exc))
            return made
        except Exception as exc:  # kept on the run for the clerk; the worker goes on
            jobs.finish(
                run,
                JobState.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=timezone.now(),
            )
        else:
            jobs.finish(
                run,
                JobState.DONE,
                file_name=name,
                total=len(applications),
                done=len(applications),
                error="",
                finished_at=timezone.now(),
            )
        made += 1
