"""The 受付簿 (the day's received applications of a department) as a PDF and a CP932 CSV, and
the CP932 cells every register of madoguchi writes. Built here; written and audited by
actions.py (the command) and views.py (the screen)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from madoguchi.accounts.models import Department
from madoguchi.applications.models import Application
from madoguchi.lib.cells import spreadsheet_safe
from madoguchi.lib.wareki import to_wareki, to_wareki_time

from .pdf import render_pdf

COLUMNS = ("番号", "受付番号", "受付時刻", "到達日時", "手続", "申請者", "本人特定", "ステータス")
# Their widths in the PDF, in per cent of the line.
COLUMN_WIDTHS = (5, 15, 7, 15, 20, 14, 12, 12)
# What a CP932 file cannot hold is written as 〓 (the 下駄記号 of Japanese registers); the PDF
# beside it has the character itself, and the row says so.
GETA = "〓"


@dataclass
class ReceiptsReport:
    day: dt.date
    files: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Register:
    department: Department
    rows: list[list[str]]


def cp932_cell(value: str) -> tuple[str, bool]:
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


def cp932_csv(rows: list[list[str]]) -> bytes:
    """A CSV as Excel on a municipal PC reads it: CP932, CRLF (cells already made CP932)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows(rows)
    return text.getvalue().encode("cp932")


def registers(day: dt.date, department_id: int | None = None) -> list[Register]:
    """The day's received applications, one register per department (or of one)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
    received = Application.objects.filter(
        received_at__gte=start, received_at__lt=start + dt.timedelta(1)
    )
    if department_id is not None:
        received = received.filter(procedure__department_id=department_id)
    by_department: dict[int, Register] = {}
    for a in received.select_related("procedure__department").order_by(
        "procedure__department__code", "received_at", "id"
    ):
        department = a.procedure.department
        register = by_department.setdefault(department.pk, Register(department, []))
        register.rows.append(
            [
                str(len(register.rows) + 1),
                a.receipt_number,
                timezone.localtime(a.received_at).strftime("%H:%M"),
                to_wareki_time(timezone.localtime(a.submitted_at)),
                a.procedure.name,
                a.applicant_name,
                str(a.get_identification_display()),
                str(a.get_status_display()),
            ]
        )
    return list(by_department.values())


def register_pdf(day: dt.date, register: Register, municipality: str) -> bytes:
    return render_pdf(
        "notices/receipts.html",
        {
            "day": to_wareki(day),
            "department": register.department.name,
            "municipality": municipality,
            "columns": COLUMNS,
            "widths": COLUMN_WIDTHS,
            "rows": register.rows,
        },
    )


def register_csv(register: Register) -> bytes:
    lines = [[*COLUMNS, "備考"]]
    for row in register.rows:
        cells = [cp932_cell(spreadsheet_safe(cell)) for cell in row]
        note = "外字は〓で表しています(PDFを参照)" if any(r for _, r in cells) else ""
        lines.append([text for text, _ in cells] + [note])
    return cp932_csv(lines)
