"""Loading 番号紐付情報 exported by the 住基 side (docs/registry-links.md).

Two layouts, CSV (UTF-8 or CP932) and fixed-length (CP932), and two kinds of load: a full
load lists every current link, so links it no longer lists are ended; a delta load only
adds and updates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.mynumber import is_valid_my_number

from . import crypto
from .constants import Sex
from .models import Resident, SerialLink

COLUMNS = (
    "serial_number",
    "resident_code",
    "atena_number",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "address",
    "valid_from",
    "valid_to",
)
OPTIONAL_COLUMNS = ("my_number",)
# Fixed-length layout: (column, bytes in CP932). Records end with CRLF.
FIXED_LAYOUT = (
    ("serial_number", 40),
    ("resident_code", 11),
    ("atena_number", 15),
    ("name", 60),
    ("name_kana", 60),
    ("birth_date", 8),
    ("sex", 1),
    ("address", 160),
    ("valid_from", 14),
    ("valid_to", 14),
    ("my_number", 12),
)
FIXED_RECORD_BYTES = sum(width for _, width in FIXED_LAYOUT)
JST = dt.timezone(dt.timedelta(hours=9))
SERIAL_RE = re.compile(r"^[0-9A-F]{1,64}$")
MAX_FILE_BYTES = 200 * 1024 * 1024


class LoadError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadReport:
    rows: int = 0
    file_format: str = "csv"
    delta: bool = False
    residents_created: int = 0
    residents_updated: int = 0
    links_created: int = 0
    links_unchanged: int = 0
    links_ended: int = 0
    problems: list[str] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else CP932 — the two encodings 住基 exports use."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp932")


def detect_format(raw: bytes) -> str:
    return "csv" if raw.lstrip(b"\xef\xbb\xbf").startswith(b"serial_number,") else "fixed"


def read_csv(raw: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    reader = csv.DictReader(io.StringIO(decode(raw), newline=""))
    header = tuple(reader.fieldnames or ())
    if header not in (COLUMNS, COLUMNS + OPTIONAL_COLUMNS):
        wanted = ",".join(COLUMNS)
        return [], [_("見出し行が仕様と異なります: %(h)s[,my_number]") % {"h": wanted}]
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        if None in row or any(value is None for value in row.values()):
            problems.append(_("%(line)d 行目: 列の数が違います") % {"line": line})
            continue
        rows.append((line, {"my_number": "", **row}))
    return rows, problems


def _fixed_time(value: str) -> str:
    if not value:
        return ""
    try:
        return dt.datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=JST).isoformat()
    except ValueError:
        return value  # reported by check_row


def read_fixed(raw: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    rows, problems = [], []
    for line, fixed_record in enumerate(raw.split(b"\r\n"), start=1):
        if not fixed_record:
            continue
        if len(fixed_record) != FIXED_RECORD_BYTES:
            problems.append(
                _("%(line)d 行目: レコード長が %(n)d バイトではありません (%(m)d バイト)")
                % {"line": line, "n": FIXED_RECORD_BYTES, "m": len(fixed_record)}
            )
            continue
        row: dict[str, str] = {}
        offset = 0
        for column, width in FIXED_LAYOUT:
            chunk = fixed_record[offset : offset + width]
            offset += width
            try:
                row[column] = chunk.decode("cp932").rstrip(" ")
            except UnicodeDecodeError:
                problems.append(
                    _("%(line)d 行目: 「%(c)s」を CP932 として読めません")
                    % {"line": line, "c": column}
                )
                break
        else:
            birth = row["birth_date"]
            if len(birth) == 8 and birth.isdigit():
                row["birth_date"] = f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"
            row["valid_from"] = _fixed_time(row["valid_from"])
            row["valid_to"] = _fixed_time(row["valid_to"])
            rows.append((line, row))
    return rows, problems


def _parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no UTC offset")
    return parsed


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_row(row: dict[str, str]) -> list[str]:
    problems = []
    if any(CONTROL.search(value) for value in row.values()):
        return [_("制御文字が含まれています")]
    if not SERIAL_RE.match(row["serial_number"].upper()):
        problems.append(_("シリアル番号は16進数で書いてください"))
    if not re.fullmatch(r"\d{11}", row["resident_code"]):
        problems.append(_("住民票コードは11桁の数字です"))
    if not re.fullmatch(r"\d{1,20}", row["atena_number"]):
        problems.append(_("宛名番号は数字です"))
    if not row["name"].strip():
        problems.append(_("氏名がありません"))
    if row["sex"] not in Sex.values:
        problems.append(_("性別コードは 1・2・3 のいずれかです"))
    try:
        dt.date.fromisoformat(row["birth_date"])
    except ValueError:
        problems.append(_("生年月日が正しくありません"))
    for key in ("valid_from", "valid_to"):
        if key == "valid_to" and not row[key]:
            continue
        try:
            _parse_time(row[key])
        except ValueError:
            problems.append(_("%(k)s は時差付きの日時で書いてください") % {"k": key})
    if row["my_number"] and not is_valid_my_number(row["my_number"]):
        problems.append(_("個人番号が正しくありません (桁数または検査用数字)"))
    return problems


def load_links(
    path: Path, *, delta: bool = False, file_format: str | None = None, actor: User | None = None
) -> LoadReport:
    """Load a file atomically: any bad row refuses the whole file, listing every problem."""
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError([_("ファイルが大きすぎます")])
    file_format = file_format or detect_format(raw)
    rows, problems = read_csv(raw) if file_format == "csv" else read_fixed(raw)
    for line, row in rows:
        problems += [
            _("%(line)d 行目: %(p)s") % {"line": line, "p": problem} for problem in check_row(row)
        ]
    if problems:
        raise LoadError(problems)

    report = LoadReport(rows=len(rows), file_format=file_format, delta=delta)
    with transaction.atomic():
        seen: set[int] = set()
        for _line, row in rows:
            seen.add(_store(row, report))
        if not delta:
            ended = SerialLink.objects.filter(valid_to__isnull=True).exclude(pk__in=seen)
            report.links_ended = ended.update(valid_to=timezone.now())
        record(
            AuditAction.RESIDENTS_LOADED,
            actor=actor,
            target_type="file",
            target_id=path.name[:64],
            extra={
                "rows": report.rows,
                "delta": delta,
                "links_created": report.links_created,
                "links_ended": report.links_ended,
            },
        )
    return report


def _store(row: dict[str, str], report: LoadReport) -> int:
    defaults: dict[str, object] = {
        "atena_number": row["atena_number"],
        "name": row["name"],
        "name_kana": row["name_kana"],
        "birth_date": dt.date.fromisoformat(row["birth_date"]),
        "sex": row["sex"],
        "address": row["address"],
    }
    if row["my_number"]:
        defaults["my_number_encrypted"] = crypto.encrypt(row["my_number"])
    resident, created = Resident.objects.update_or_create(
        resident_code=row["resident_code"], defaults=defaults
    )
    if created:
        report.residents_created += 1
    else:
        report.residents_updated += 1
    link, link_created = SerialLink.objects.update_or_create(
        serial=row["serial_number"].upper(),
        valid_from=_parse_time(row["valid_from"]),
        defaults={
            "resident": resident,
            "valid_to": _parse_time(row["valid_to"]) if row["valid_to"] else None,
        },
    )
    if link_created:
        report.links_created += 1
    else:
        report.links_unchanged += 1
    return link.pk
