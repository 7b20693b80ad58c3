"""Loading 番号紐付情報 exported by the 住基 side (docs/registry-links.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

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
SERIAL_RE = re.compile(r"^[0-9A-F]{1,64}$")
MAX_FILE_BYTES = 200 * 1024 * 1024


class LoadError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadReport:
    rows: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    links_created: int = 0
    links_unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else CP932 — the two encodings 住基 exports use."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp932")


def _parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no UTC offset")
    return parsed


def _check_row(row: dict[str, str]) -> list[str]:
    problems = []
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
    return problems


def load_links(path: Path, *, actor: User | None = None) -> LoadReport:
    """Load a CSV export atomically: any bad row refuses the whole file, listing every problem."""
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError([_("ファイルが大きすぎます")])
    reader = csv.DictReader(io.StringIO(decode(raw), newline=""))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise LoadError([_("見出し行が仕様と異なります: %(h)s") % {"h": ",".join(COLUMNS)}])
    rows = []
    problems = []
    for line, row in enumerate(reader, start=2):
        if None in row or any(value is None for value in row.values()):
            problems.append(_("%(line)d 行目: 列の数が違います") % {"line": line})
            continue
        row_problems = _check_row(row)
        problems += [f"{line} 行目: {p}" for p in row_problems]
        rows.append(row)
    if problems:
        raise LoadError(problems)

    report = LoadReport(rows=len(rows))
    with transaction.atomic():
        for row in rows:
            resident, created = Resident.objects.update_or_create(
                resident_code=row["resident_code"],
                defaults={
                    "atena_number": row["atena_number"],
                    "name": row["name"],
                    "name_kana": row["name_kana"],
                    "birth_date": dt.date.fromisoformat(row["birth_date"]),
                    "sex": row["sex"],
                    "address": row["address"],
                },
            )
            if created:
                report.residents_created += 1
            else:
                report.residents_updated += 1
            _link, link_created = SerialLink.objects.update_or_create(
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
        record(
            AuditAction.RESIDENTS_LOADED,
            actor=actor,
            target_type="file",
            target_id=path.name[:64],
            extra={"rows": report.rows, "links_created": report.links_created},
        )
    return report
