"""Paper out of madoguchi, audited because it names applicants: the 受付簿 (the day's received
applications per department, `madoguchi notices receipts`) and letters by post with their
発送簿 (`madoguchi notices batch`)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from madoguchi import jobs
from madoguchi.accounts.models import User
from madoguchi.applications.applicant_text import rejection_notice
from madoguchi.applications.models import Application
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.jobs import JobState
from madoguchi.lib.cells import spreadsheet_safe
from madoguchi.lib.files import DiskFull, write_whole
from madoguchi.lib.wareki import to_wareki
from madoguchi.vocabulary import Status

from .models import AddressRule, DocumentSettings, Letter, LetterKind, LetterRun
from .pdf import render_pdf
from .registers import (
    ReceiptsReport,
    cp932_cell,
    cp932_csv,
    register_csv,
    register_pdf,
    registers,
)


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def write_receipts(day: dt.date, out: Path, *, actor: User | None = None) -> ReceiptsReport:
    """The day's 受付簿 of every department into ``out``: a PDF and a CP932 CSV each."""
    municipality = DocumentSettings.current().municipality_name
    out.mkdir(parents=True, exist_ok=True)
    report = ReceiptsReport(day)
    for register in registers(day):
        stem = f"受付簿-{day.isoformat()}-{register.department.code}"
        pdf_path, csv_path = out / f"{stem}.pdf", out / f"{stem}.csv"
        write_whole(pdf_path, register_pdf(day, register, municipality))
        write_whole(csv_path, register_csv(register))
        report.files += [pdf_path, csv_path]
        report.counts[register.department.code] = len(register.rows)
    record(
        AuditAction.RECEIPTS_REGISTER_WRITTEN,
        actor=actor,
        target_type="file",
        target_id=day.isoformat(),
        extra={"counts": report.counts, "out": str(out)},
    )
    return report


def download_receipts(day: dt.date, department_id: int, kind: str, *, actor: User) -> bytes:
    """One department's 受付簿 of the day from the screen (``kind`` pdf or csv): it names
    applicants, so the download is audited; a member of staff gets only their own 課's."""
    if not (actor.sees_all_departments or actor.department_id == department_id):
        raise PermissionDenied
    found = registers(day, department_id)
    if not found:
        raise LookupError(department_id)
    register = found[0]
    if kind == "pdf":
        data = register_pdf(day, register, DocumentSettings.current().municipality_name)
    else:
        data = register_csv(register)
    record(
        AuditAction.RECEIPTS_REGISTER_WRITTEN,
        actor=actor,
        target_type="file",
        target_id=day.isoformat(),
        extra={"counts": {register.department.code: len(register.rows)}, "format": kind},
    )
    return data


REGISTER_COLUMNS = (
    "番号",
    "受付日",
    "届出種別",
    "届出人",
    "対象者",
    "〒・送付先",
    "発送日",
    "返戻",
)
REGISTER_WIDTHS = (6, 11, 10, 13, 13, 27, 11, 9)
# The status a kind of letter follows, and the words of its body.
LETTER_STATUS = {
    LetterKind.CORRECTION: Status.CORRECTION_REQUESTED,
    LetterKind.REJECTION: Status.REJECTED,
}


@dataclass(frozen=True)
class LetterItem:
    """One letter as the template sets it."""

    number: int
    application: Application
    name: str
    postal: str
    address: str
    source: str
    reason: str
    notice: str
    arrived: str
    body: str


@dataclass
class LetterBatch:
    kind: str
    batch: str
    letters: list[Letter] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def _chosen(
    kind: LetterKind,
    day: dt.date,
    procedure_id: str | None,
    department_id: int | None = None,
    receipt_numbers: list[str] | None = None,
) -> list[Application]:
    """The applications a batch writes to: those of the day (received, or moved that day to
    the kind's status), or the ones chosen in the inbox (``receipt_numbers``) that the kind
    applies to; never a second letter of a kind but お知らせ."""
    applications = Application.objects.select_related("procedure", "resident")
    if kind != LetterKind.GENERAL:
        applications = applications.exclude(
            id__in=Letter.objects.filter(kind=kind).values("application_id")
        )
    start = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
    end = start + dt.timedelta(days=1)
    if receipt_numbers is not None:
        applications = applications.filter(receipt_number__in=receipt_numbers)
    elif kind in (LetterKind.GENERAL, LetterKind.RECEIPT):
        applications = applications.filter(received_at__gte=start, received_at__lt=end)
    else:
        applications = applications.filter(status_changed_at__gte=start, status_changed_at__lt=end)
    if kind == LetterKind.RECEIPT:
        applications = applications.exclude(status__in=[Status.REJECTED, Status.WITHDRAWN])
    elif kind in LETTER_STATUS:
        applications = applications.filter(status=LETTER_STATUS[kind])
    if procedure_id:
        applications = applications.filter(procedure__procedure_id=procedure_id)
    if department_id is not None:
        applications = applications.filter(procedure__department_id=department_id)
    return list(applications.order_by("procedure__procedure_id", "received_at", "id"))


def _reason(application: Application, status: Status) -> str:
    """What the clerk wrote to the applicant with this status (the latest such change)."""
    event = (
        AuditEvent.objects.filter(
            target_type="application",
            target_id=application.receipt_number,
            action=AuditAction.APPLICATION_STATUS_CHANGED,
            extra__to=status.value,
        )
        .order_by("-seq")
        .first()
    )
    reason = event.extra.get("reason", "") if event else ""
    return reason if isinstance(reason, str) else ""


def _addressee(application: Application, rule: str) -> tuple[str, str, str, str]:
    """(name, 〒, address, source): for an identified applicant the 住民記録 — the current
    address, or where the kind's rule says so the 前住所 and 旧氏名 (a 住所異動's 受理通知 goes
    to the address moved from); otherwise what the applicant signed."""
    form, procedure = application.form, application.procedure
    postal = form.get(procedure.field_for("applicant.postal_code") or "", "")
    resident = application.resident
    if resident is not None:
        if rule == AddressRule.FORMER and resident.previous_address:
            # The 郵便番号 on the form is the current one: the former address goes without.
            name = resident.previous_name or resident.name
            return name, "", resident.previous_address, "前住所"
        return resident.name, postal, resident.address, "住民記録"
    address = form.get(procedure.field_for("applicant.address") or "", "")
    return application.applicant_name, postal, address, "申請書"


def letter_body(text: str, application: Application) -> str:
    """The kind's wording with the application's values in place of its tokens."""
    values = {
        "{到達日}": to_wareki(_local(application.submitted_at).date()),
        "{手続}": application.procedure.name,
        "{受付番号}": application.receipt_number,
    }
    for token, value in values.items():
        text = text.replace(token, value)
    return text


def send_letters(
    kind: LetterKind,
    out: Path,
    *,
    day: dt.date,
    procedure_id: str | None = None,
    department_id: int | None = None,
    actor: User | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    message: str = "",
    receipt_numbers: list[str] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> LetterBatch:
    """The letters of one kind for the day's applications (受理 that day, or 補正依頼 / 却下
    that day), none twice: one print-ready PDF in 発送簿 order, the 発送簿 as CSV (CP932) and
    PDF, each letter kept with its application and in its 経過. Every file appears whole or
    not at all; ``before_commit`` runs in the transaction that records the letters (a job's
    check that it still holds its lease)."""
    message = message.strip()
    if kind == LetterKind.GENERAL and not message:
        raise ValueError("お知らせの本文を入力してください")
    chosen = _chosen(kind, day, procedure_id, department_id, receipt_numbers)
    now = timezone.localtime()
    batch = LetterBatch(kind=kind.value, batch=f"{kind.value}-{now:%Y%m%d%H%M%S}")
    if not chosen:
        return batch
    sent_on = now.date()
    document = DocumentSettings.current()
    letters = []
    for number, application in enumerate(chosen, start=1):
        name, postal, address, source = _addressee(application, document.rule_for(kind))
        status = LETTER_STATUS.get(kind)
        letters.append(
            LetterItem(
                number=number,
                application=application,
                name=name,
                postal=postal,
                address=address,
                source=source,
                # The clerk's message with the status (補正・却下), or the お知らせ's text.
                reason=_reason(application, status) if status else message,
                notice=rejection_notice(application.procedure)
                if kind == LetterKind.REJECTION
                else "",
                arrived=to_wareki(_local(application.submitted_at).date()),
                body=letter_body(document.text_for(kind), application),
            )
        )
    context = {
        "kind": kind,
        "today": to_wareki(sent_on),
        "document": document,
        "total": len(letters),
    }
    out.mkdir(parents=True, exist_ok=True)
    letters_path = out / f"{batch.batch}-letters.pdf"
    register_pdf = out / f"{batch.batch}-発送簿.pdf"
    register_csv = out / f"{batch.batch}-発送簿.csv"
    try:
        pages = _render_in_chunks(context, letters, letters_path, on_progress)
        register_rows = [
            [
                str(item.number),
                to_wareki(_local(item.application.received_at).date()),
                str(kind.label),
                item.application.applicant_name,
                item.name,
                f"〒{item.postal} {item.address}".strip(),
                to_wareki(sent_on),
                "",
            ]
            for item in letters
        ]
        write_whole(
            register_pdf,
            render_pdf(
                "notices/receipts.html",
                {
                    "day": to_wareki(sent_on),
                    "department": f"{kind.label} 発送簿",
                    "municipality": document.municipality_name,
                    "columns": REGISTER_COLUMNS,
                    "widths": REGISTER_WIDTHS,
                    "rows": register_rows,
                },
            ),
        )
        write_whole(
            register_csv,
            cp932_csv(
                [list(REGISTER_COLUMNS)]
                + [[cp932_cell(spreadsheet_safe(cell))[0] for cell in row] for row in register_rows]
            ),
        )
    except DiskFull:
        # A batch is its three files or none: a full disk leaves none of them behind.
        for path in (letters_path, register_pdf, register_csv):
            path.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        if before_commit is not None:
            before_commit()
        for item, page in zip(letters, pages, strict=True):
            letter = Letter.objects.create(
                application=item.application,
                kind=kind,
                batch=batch.batch,
                recipient_name=item.name[:100],
                postal_code=item.postal[:10],
                address=item.address[:300],
                address_source=item.source,
                sent_on=sent_on,
                pdf=page,
                settings_version=document.version,
            )
            record(
                AuditAction.LETTER_SENT,
                actor=actor,
                target=item.application,
                extra={
                    "kind": kind.value,
                    "batch": batch.batch,
                    "address": item.source,
                    "settings_version": document.version,
                },
            )
            batch.letters.append(letter)
    batch.files = [letters_path, register_pdf, register_csv]
    return batch


# Letters rendered at most this many at a time: memory stays that of one chunk, and a
# screen can show the progress chunk by chunk — about ten steps for a small batch, never
# fewer than MIN_CHUNK letters a step (each render has a fixed cost).
CHUNK = 100
MIN_CHUNK = 10


def _render_in_chunks(
    context: dict[str, Any],
    letters: list[LetterItem],
    path: Path,
    on_progress: Callable[[int, int], None] | None,
) -> list[bytes]:
    """Render the letters CHUNK at a time into one PDF at ``path``; each page is also
    returned as a PDF of its own (a letter kept with its application)."""
    combined = pdfium.PdfDocument.new()
    pages: list[bytes] = []
    if on_progress is not None:
        on_progress(0, len(letters))  # the screen shows 0 / N from the start, not 0 / 0
    size = min(CHUNK, max(MIN_CHUNK, -(-len(letters) // 10)))
    for start in range(0, len(letters), size):
        chunk = letters[start : start + size]
        source = pdfium.PdfDocument(
            render_pdf("notices/letters.html", context | {"letters": chunk})
        )
        if len(source) != len(chunk):
            raise RuntimeError(f"{len(chunk)} 通の通知書が {len(source)} ページになりました")
        combined.import_pages(source)
        for index in range(len(source)):
            single = pdfium.PdfDocument.new()
            single.import_pages(source, [index])
            buffer = io.BytesIO()
            single.save(buffer)
            pages.append(buffer.getvalue())
        if on_progress is not None:
            on_progress(start + len(chunk), len(letters))
    # Saved to memory first: pdfium writes through a callback that cannot report a full disk.
    buffer = io.BytesIO()
    combined.save(buffer)
    write_whole(path, buffer.getvalue())
    return pages


# Why a letter came back, as the post office marks it.
RETURN_REASONS = ("宛所に尋ねあたりません", "転居先不明", "受取拒否", "保管期間経過", "その他")


@transaction.atomic
def mark_returned(letter_id: int, day: dt.date, reason: str, *, actor: User) -> Letter:
    """返戻: the letter came back; recorded on the letter and in the application's 経過."""
    letter = Letter.objects.select_for_update().select_related("application").get(pk=letter_id)
    letter.returned_on = day
    letter.returned_reason = reason[:200]
    letter.save(update_fields=["returned_on", "returned_reason"])
    record(
        AuditAction.LETTER_RETURNED,
        actor=actor,
        target=letter.application,
        extra={"kind": letter.kind, "batch": letter.batch, "reason": reason},
    )
    return letter


@transaction.atomic
def save_document_settings(values: dict[str, Any], *, actor: User) -> DocumentSettings:
    """A new version of the municipality's document settings (the administrator's); the
    letters already sent keep theirs. Audited with what changed."""
    if not actor.may_edit_documents:
        raise PermissionDenied
    latest = DocumentSettings.objects.select_for_update().order_by("-version").first()
    before = latest or DocumentSettings(version=0)
    saved = DocumentSettings.objects.create(
        version=(latest.version if latest else 0) + 1, created_by=actor, **values
    )
    changed = sorted(k for k in values if getattr(before, k) != getattr(saved, k))
    record(
        AuditAction.DOCUMENT_SETTINGS_CHANGED,
        actor=actor,
        target_type="document_settings",
        target_id=str(saved.version),
        extra={"changed": changed},
    )
    return saved


def run_folder(run: LetterRun) -> Path:
    return settings.DATA_DIR / "letters" / f"run-{run.pk}"


def request_letters(
    kind: LetterKind,
    day: dt.date,
    procedure_id: str,
    *,
    actor: User,
    message: str = "",
    receipt_numbers: list[str] | None = None,
) -> LetterRun:
    """A batch asked for on screen, for the worker to make (the department's applications;
    the administrator's covers every department)."""
    if actor.department_id is None and not actor.sees_all_departments:
        raise PermissionDenied
    return LetterRun.objects.create(
        kind=kind,
        day=day,
        procedure_id=procedure_id,
        message=message,
        receipt_numbers=receipt_numbers,
        department_id=None if actor.sees_all_departments else actor.department_id,
        requested_by=actor,
    )


def make_waiting_letters() -> int:
    """The worker's step: make every batch waiting, or left unfinished by a worker that
    died (its lease ran out: madoguchi/jobs.py), progress saved as it goes (the screen shows
    it); done from its start, and its letters recorded only while this worker still holds
    it, so none is sent twice. A full disk puts it back to wait (the reason shown); any
    other failure is kept with its reason. Returns how many it made."""
    made = 0
    while True:
        claimed = jobs.claim(LetterRun)
        if claimed is None:
            return made
        run: LetterRun = claimed

        def progress(done: int, total: int, job: LetterRun = run) -> None:
            jobs.renew(job, done=done, total=total)

        def still_mine(job: LetterRun = run) -> None:
            jobs.hold(job)

        try:
            result = send_letters(
                LetterKind(run.kind),
                run_folder(run),
                day=run.day,
                procedure_id=run.procedure_id or None,
                department_id=run.department_id,
                actor=run.requested_by,
                on_progress=progress,
                message=run.message,
                receipt_numbers=run.receipt_numbers,
                before_commit=still_mine,
            )
        except jobs.LostLease:
            continue  # another worker has it now
        except DiskFull as exc:
            jobs.release(run, error=str(exc))
            return made  # the disk is full: nothing more until space is freed
        except Exception as exc:  # kept on the run for the clerk; the worker goes on
            jobs.finish(
                run,
                JobState.FAILED,
                error=f"{type(exc).__name__}: {exc}",
                finished_at=timezone.now(),
            )
        else:
            jobs.finish(
                run,
                JobState.DONE,
                batch=result.batch if result.letters else "",
                files=[p.name for p in result.files],
                total=len(result.letters),
                done=len(result.letters),
                error="",
                finished_at=timezone.now(),
            )
        made += 1


def download_letters(run: LetterRun, name: str, *, reader: User) -> bytes:
    """A file of a batch (the letters or the 発送簿): it names applicants, so audited."""
    if name not in run.files:
        raise FileNotFoundError(name)
    content = (run_folder(run) / name).read_bytes()
    record(
        AuditAction.LETTERS_DOWNLOADED,
        actor=reader,
        target_type="letter_run",
        target_id=str(run.pk),
        extra={"file": name, "batch": run.batch},
    )
    return content
