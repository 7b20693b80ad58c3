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

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib import fixedwidth
from madoguchi.lib.codes import ATENA_NUMBER_MAX_LENGTH, is_digits
from madoguchi.lib.mynumber import parse_my_number

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
    ("atena_number", ATENA_NUMBER_MAX_LENGTH),
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
    dry_run: bool = False


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
    widths = [width for _column, width in FIXED_LAYOUT]
    for line, fixed_record in fixedwidth.records(raw):
        if len(fixed_record) != FIXED_RECORD_BYTES:
            problems.append(
                _("%(line)d 行目: レコード長が %(n)d バイトではありません (%(m)d バイト)")
                % {"line": line, "n": FIXED_RECORD_BYTES, "m": len(fixed_record)}
            )
            continue
        row: dict[str, str] = {}
        cells = fixedwidth.fields(fixed_record, widths)
        for (column, _width), chunk in zip(FIXED_LAYOUT, cells, strict=True):
            try:
                # Padding is half-width spaces, or 全角スペース in the kanji columns.
                row[column] = fixedwidth.decode_field(chunk, "cp932", " \u3000")
            except UnicodeDecodeError:
                problems.append(
                    _("%(line)d 行目: 「%(c)s」を CP932 として読めません")
                    % {"line": line, "c": column}
                )
                break
        else:
            birth = row["birth_date"]
            if is_digits(birth, 8):
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


# C0 and C1 control characters and DEL; private-use characters (a 外字 of some other system
# that no screen, file or comparison here can read).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\u3000 ]*")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def check_row(row: dict[str, str]) -> list[str]:
    problems = []
    for column, value in row.items():
        if CONTROL.search(value):
            problems.append(_("「%(c)s」に制御文字が含まれています") % {"c": column})
        elif PRIVATE_USE.search(value):
            problems.append(_("「%(c)s」に外字(私用領域の文字)が含まれています") % {"c": column})
    if problems:
        return problems
    if not SERIAL_RE.fullmatch(row["serial_number"].upper()):
        problems.append(_("シリアル番号は16進数で書いてください"))
    if not is_digits(row["resident_code"], 11):
        problems.append(_("住民票コードは半角数字11桁です"))
    if not is_digits(row["atena_number"]) or len(row["atena_number"]) > ATENA_NUMBER_MAX_LENGTH:
        problems.append(_("宛名番号は半角数字%(n)d桁以内です") % {"n": ATENA_NUMBER_MAX_LENGTH})
    if not row["name"].strip():
        problems.append(_("氏名がありません"))
    if not KATAKANA.fullmatch(row["name_kana"]):
        problems.append(_("カナ氏名は全角カタカナで書いてください"))
    if row["sex"] not in Sex.values:
        problems.append(_("性別コードは 1・2・3 のいずれかです"))
    try:
        if not ISO_DATE.fullmatch(row["birth_date"]):
            raise ValueError(row["birth_date"])
        if dt.date.fromisoformat(row["birth_date"]) > timezone.localdate():
            problems.append(_("生年月日が未来の日付です"))
    except ValueError:
        problems.append(_("生年月日が正しくありません (YYYY-MM-DD)"))
    for key in ("valid_from", "valid_to"):
        if key == "valid_to" and not row[key]:
            continue
        try:
            _parse_time(row[key])
        except ValueError:
            problems.append(_("%(k)s は時差付きの日時で書いてください") % {"k": key})
    if row["my_number"] and parse_my_number(row["my_number"]) is None:
        problems.append(_("個人番号が正しくありません (桁数または検査用数字)"))
    return problems


class _DryRun(Exception):
    """Rolls back a dry run once its report is complete."""


def load_links(
    path: Path,
    *,
    delta: bool = False,
    file_format: str | None = None,
    actor: User | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> LoadReport:
    """Load a file atomically: any bad row refuses the whole file, listing every problem.

    A full load ends every open link it does not list. An empty file, or one that would end
    more than REGISTRY_MAX_END_SHARE of the open links (a truncated or header-only export),
    is refused unless ``force``. ``dry_run`` reports what would change and changes nothing."""
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError([_("ファイルが大きすぎます")])
    file_format = file_format or detect_format(raw)
    try:
        rows, problems = read_csv(raw) if file_format == "csv" else read_fixed(raw)
    except UnicodeDecodeError as exc:
        raise LoadError(
            [_("文字コードを読めません (UTF-8 または CP932): %(at)d バイト目") % {"at": exc.start}]
        ) from exc
    for line, row in rows:
        problems += [
            _("%(line)d 行目: %(p)s") % {"line": line, "p": problem} for problem in check_row(row)
        ]
    if problems:
        raise LoadError(problems)
    if not rows and not delta and not force:
        raise LoadError(
            [
                _(
                    "全件ファイルに行がありません。"
                    "すべての紐付を終了させるなら --force を付けてください"
                )
            ]
        )

    report = LoadReport(rows=len(rows), file_format=file_format, delta=delta, dry_run=dry_run)
    try:
        with transaction.atomic():
            open_before = SerialLink.objects.filter(valid_to__isnull=True).count()
            seen: set[int] = set()
            for _line, row in rows:
                seen.add(_store(row, report))
            if not delta:
                ended = SerialLink.objects.filter(valid_to__isnull=True).exclude(pk__in=seen)
                report.links_ended = ended.count()
                share = settings.REGISTRY_MAX_END_SHARE
                if not force and open_before and report.links_ended > share * open_before:
                    raise LoadError(
                        [
                            _(
                                "この全件ファイルは開いている紐付 %(open)d 件のうち %(n)d 件"
                                "(%(p).0f%%)を終了させます(上限 %(limit).0f%%)。"
                                "ファイルが途中で切れていないか確認し、正しければ --force を"
                                "付けてください"
                            )
                            % {
                                "open": open_before,
                                "n": report.links_ended,
                                "p": 100 * report.links_ended / open_before,
                                "limit": 100 * share,
                            }
                        ]
                    )
                ended.update(valid_to=timezone.now())
            if dry_run:
                raise _DryRun
            record(
                AuditAction.RESIDENTS_LOADED,
                actor=actor,
                target_type="file",
                target_id=path.name[:64],
                extra={
                    "rows": report.rows,
                    "delta": delta,
                    "forced": force,
                    "links_created": report.links_created,
                    "links_ended": report.links_ended,
                },
            )
    except _DryRun:
        pass
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
    my_number = parse_my_number(row["my_number"]) if row["my_number"] else None
    if my_number:
        defaults["my_number_encrypted"] = crypto.encrypt(my_number)
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
