"""方式4 一括取込: batch files of one procedure for its core system."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.applications.actions import change_status
from madoguchi.applications.constants import Status
from madoguchi.applications.models import Application
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.procedures.models import Procedure

ENCODINGS = {"csv-utf8": "utf-8", "csv-cp932": "cp932", "fixed": "cp932"}
EXTENSIONS = {"csv-utf8": "csv", "csv-cp932": "csv", "fixed": "dat"}
# Fixed-length widths in CP932 bytes for what is not a form field.
FIXED_WIDTHS = {
    "application.receipt_number": 20,
    "application.submitted_date": 10,
    "resident.atena_number": 15,
}
FIXED_TYPE_WIDTHS = {"date": 10, "postal_code": 8, "phone": 13}


def fixed_width(procedure: Procedure, source: str) -> int:
    """A column's byte width, derived from the version's own field rules, so that every
    valid value fits and a version's layout never changes (docs/core-system-files.md)."""
    if source in FIXED_WIDTHS:
        return FIXED_WIDTHS[source]
    field_id = source.removeprefix("form.")
    field = next(f for f in procedure.fields if f["id"] == field_id)
    if field["type"] in FIXED_TYPE_WIDTHS:
        return FIXED_TYPE_WIDTHS[field["type"]]
    if field["type"] == "digits":
        return int(field.get("length") or field.get("max_length") or 10)
    if field["type"] == "choice":
        return 2 * max(len(choice) for choice in field["choices"])
    return 2 * int(field.get("max_length") or 50)


def fixed_record(procedure: Procedure, row: list[str]) -> bytes | int:
    """One CP932 record, each value left-aligned and padded with spaces to its width; or the
    index of the first value too long for its field (never cut)."""
    parts = []
    for index, (column, value) in enumerate(zip(procedure.export_columns, row, strict=True)):
        encoded = value.encode("cp932")
        width = fixed_width(procedure, column["source"])
        if len(encoded) > width:
            return index
        parts.append(encoded.ljust(width, b" "))
    return b"".join(parts)


@dataclass
class HeldBack:
    receipt_number: str
    column: str
    value: str


@dataclass
class ExportReport:
    files: list[Path] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)


def column_value(application: Application, source: str) -> str:
    if source == "application.receipt_number":
        return application.receipt_number
    if source == "application.submitted_date":
        return timezone.localtime(application.submitted_at).date().isoformat()
    if source == "resident.atena_number":
        return application.resident.atena_number if application.resident else ""
    if source.startswith("form."):
        return str(application.form.get(source.removeprefix("form."), ""))
    raise ValueError(source)


def row_for(application: Application, encoding: str) -> list[str] | HeldBack:
    """The record's values, or the first value the target encoding cannot hold."""
    row = []
    for column in application.procedure.export_columns:
        value = column_value(application, column["source"])
        try:
            value.encode(encoding)
        except UnicodeEncodeError:
            return HeldBack(application.receipt_number, column["header"], value)
        row.append(value)
    return row


def export_batch(
    procedure_id: str, file_format: str, out_dir: Path, *, actor: User | None
) -> ExportReport:
    """Write the applications ready for hand-over, one file per procedure version (each in
    its own version's layout), and mark them handed off.

    A record with a character the encoding cannot hold is never replaced silently: it is
    held back, named with its field, and stays ready for a clerk.
    """
    encoding = ENCODINGS[file_format]
    procedures = list(Procedure.objects.filter(procedure_id=procedure_id))
    if not procedures:
        raise LookupError(procedure_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    report = ExportReport()
    with transaction.atomic():
        for procedure in procedures:
            extension = EXTENSIONS[file_format]
            target = (
                out_dir / f"{procedure_id}_{procedure.version}_{stamp}_{file_format}.{extension}"
            )
            fixed = file_format == "fixed"
            if _export_version(procedure, encoding, target, report, actor=actor, fixed=fixed):
                report.files.append(target)
                record(
                    AuditAction.APPLICATIONS_EXPORTED,
                    actor=actor,
                    target_type="procedure",
                    target_id=procedure_id,
                    extra={
                        "file": target.name,
                        "version": procedure.version,
                        "format": file_format,
                    },
                )
    return report


def _export_version(
    procedure: Procedure,
    encoding: str,
    target: Path,
    report: ExportReport,
    *,
    actor: User | None,
    fixed: bool = False,
) -> bool:
    applications = (
        Application.objects.select_for_update(of=("self",))
        .filter(procedure=procedure, status=Status.READY_FOR_HANDOFF)
        .select_related("procedure", "resident")
        .order_by("received_at", "id")
    )
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    records: list[bytes] = []
    if not fixed:
        writer.writerow([c["header"] for c in procedure.export_columns])
    exported = 0
    for application in applications:
        row = row_for(application, encoding)
        if isinstance(row, HeldBack):
            report.held_back.append(row)
            continue
        if fixed:
            record_bytes = fixed_record(procedure, row)
            if isinstance(record_bytes, int):
                column = procedure.export_columns[record_bytes]
                report.held_back.append(
                    HeldBack(application.receipt_number, column["header"], row[record_bytes])
                )
                continue
            records.append(record_bytes + b"\r\n")
        else:
            writer.writerow(row)
        report.exported.append(application.receipt_number)
        change_status(application.pk, Status.HANDED_OFF, actor=actor)
        exported += 1
    if not exported:
        return False
    tmp = target.with_name(f".{target.name}.part")
    with open(tmp, "wb") as f:
        f.write(b"".join(records) if fixed else buffer.getvalue().encode(encoding))
        f.flush()
        os.fsync(f.fileno())
    # The file takes its name only once the hand-over is committed.
    transaction.on_commit(lambda: os.replace(tmp, target))
    return True
