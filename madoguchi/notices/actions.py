"""受付簿: the day's received applications per department, as a PDF for the register and a
CP932 CSV for a spreadsheet (`madoguchi notices receipts`). Writing it is audited: the
register names applicants."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.applications.models import Application
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.cells import spreadsheet_safe
from madoguchi.lib.wareki import to_wareki

from .pdf import render_pdf

COLUMNS = ("番号", "受付番号", "受付時刻", "到達日時", "手続", "申請者", "本人特定", "ステータス")
# What a CP932 file cannot hold is written as 〓 (the 下駄記号 of Japanese registers); the PDF
# beside it has the character itself, and the row says so.
GETA = "〓"


@dataclass
class ReceiptsReport:
    day: dt.date
    files: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _cp932(value: str) -> tuple[str, bool]:
    """The value as CP932 can hold it, and whether a character had to be replaced."""
    out, replaced = [], False
    for character in value:
        try:
            character.encode("cp932")
            out.append(character)
        except UnicodeEncodeError:
            out.append(GETA)
            replaced = True
    return "".join(out), replaced


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def write_receipts(day: dt.date, out: Path, *, actor: User | None = None) -> ReceiptsReport:
    start = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
    received = (
        Application.objects.filter(received_at__gte=start, received_at__lt=start + dt.timedelta(1))
        .select_related("procedure__department")
        .order_by("procedure__department__code", "received_at", "id")
    )
    by_department: dict[str, list[Application]] = {}
    for application in received:
        by_department.setdefault(application.procedure.department.code, []).append(application)
    out.mkdir(parents=True, exist_ok=True)
    report = ReceiptsReport(day)
    for code, applications in by_department.items():
        department = applications[0].procedure.department
        rows = [
            [
                str(n),
                a.receipt_number,
                _local(a.received_at).strftime("%H:%M"),
                f"{to_wareki(_local(a.submitted_at).date())} {_local(a.submitted_at):%H:%M}",
                a.procedure.name,
                a.applicant_name,
                str(a.get_identification_display()),
                str(a.get_status_display()),
            ]
            for n, a in enumerate(applications, start=1)
        ]
        stem = f"受付簿-{day.isoformat()}-{code}"
        pdf_path, csv_path = out / f"{stem}.pdf", out / f"{stem}.csv"
        pdf_path.write_bytes(
            render_pdf(
                "notices/receipts.html",
                {
                    "day": to_wareki(day),
                    "department": department.name,
                    "municipality": settings.MUNICIPALITY_NAME,
                    "columns": COLUMNS,
                    "rows": rows,
                },
            )
        )
        with open(csv_path, "w", encoding="cp932", newline="") as f:
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow([*COLUMNS, "備考"])
            for row in rows:
                cells = [_cp932(spreadsheet_safe(cell)) for cell in row]
                note = "外字は〓で表しています(PDFを参照)" if any(r for _, r in cells) else ""
                writer.writerow([text for text, _ in cells] + [note])
        report.files += [pdf_path, csv_path]
        report.counts[code] = len(rows)
    record(
        AuditAction.RECEIPTS_REGISTER_WRITTEN,
        actor=actor,
        target_type="file",
        target_id=day.isoformat(),
        extra={"counts": report.counts, "out": str(out)},
    )
    return report
