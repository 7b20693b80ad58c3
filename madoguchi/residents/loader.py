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

from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.lib import fixedwidth
from madoguchi.lib.cells import CONTROL
from madoguchi.lib.codes import ATENA_NUMBER_MAX_LENGTH, is_digits
from madoguchi.lib.mynumber import parse_my_number
from madoguchi.vocabulary import Sex

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
# After the required ones, in this order, each may be left out: 個人番号, and the name and
# address before the last 住所異動 or 氏の変更 (旧氏名・前住所), for letters whose rule sends
# them there (the 受理通知 of a 住所異動 goes to the address the resident moved from).
# Then the 世帯 (household), for the counter to prefill a form's children and postal code:
# 世帯番号, 続柄 (世帯主, 妻, 子 …) and 郵便番号. A household member with no signing certificate
# (a child) is a row with serial_number and valid_from left empty: a resident, no link.
OPTIONAL_COLUMNS = (
    "my_number",
    "previous_name",
    "previous_address",
    "household_number",
    "relationship",
    "postal_code",
)
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
    # Rows held for a 外字 the table does not know: (line, the codes).
    held: list[tuple[int, list[int]]] = field(default_factory=list)


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
    extra = header[len(COLUMNS) :]
    if (
        header[: len(COLUMNS)] != COLUMNS
        or tuple(c for c in OPTIONAL_COLUMNS if c in extra) != extra
    ):
        wanted = ",".join(COLUMNS)
        optional = "".join(f"[,{c}]" for c in OPTIONAL_COLUMNS)
        return [], [_("見出し行が仕様と異なります: %(h)s%(o)s") % {"h": wanted, "o": optional}]
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        if None in row or any(value is None for value in row.values()):
            problems.append(_("%(line)d 行目: 列の数が違います") % {"line": line})
            continue
        rows.append((line, {c: "" for c in OPTIONAL_COLUMNS} | row))
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


def parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no UTC offset")
    return parsed


# Control characters (lib/cells.CONTROL) are refused. Private-use characters are the 外字 of
# the 住基 side (CP932's user-defined area F040–F9FC reads as U+E000–U+E757): each is replaced
# through the 外字 table (residents.models.RegistryGaiji) before a row is checked, and a row
# with one the table does not know is held, not refused (map_gaiji).
PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")


def map_gaiji(row: dict[str, str], table: dict[int, str]) -> tuple[dict[str, str], list[int]]:
    """The row with every 外字 the table knows replaced, and the codes it does not know."""
    unknown: set[int] = set()

    def replace(match: re.Match[str]) -> str:
        code = ord(match.group())
        if code in table:
            return table[code]
        unknown.add(code)
        return match.group()

    mapped = {column: PRIVATE_USE.sub(replace, value) for column, value in row.items()}
    return mapped, sorted(unknown)


def gaiji_code_label(code: int) -> str:
    """U+E001 (CP932 0xF041): the code as the 住基 vendor's 外字 list names it, where it has one."""
    try:
        written = chr(code).encode("cp932")
    except UnicodeEncodeError:
        return f"U+{code:04X}"
    return f"U+{code:04X} (CP932 0x{written.hex().upper()})"


KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\u3000 ]*")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
POSTAL_CODE = re.compile(r"[0-9]{3}-?[0-9]{4}", re.ASCII)


def check_row(row: dict[str, str]) -> list[str]:
    problems = []
    for column, value in row.items():
        if CONTROL.search(value):
            problems.append(_("「%(c)s」に制御文字が含まれています") % {"c": column})
        elif PRIVATE_USE.search(value):  # only a held row's, when it is loaded unmapped
            problems.append(_("「%(c)s」に未登録の外字が含まれています") % {"c": column})
    if problems:
        return problems
    unlinked = not row["serial_number"] and not row["valid_from"]  # a 世帯員 without a card
    if not unlinked and not SERIAL_RE.fullmatch(row["serial_number"].upper()):
        problems.append(_("シリアル番号は16進数で書いてください"))
    if not is_digits(row["resident_code"], 11):
        problems.append(_("住民票コードは半角数字11桁です"))
    if not is_digits(row["atena_number"]) or len(row["atena_number"]) > ATENA_NUMBER_MAX_LENGTH:
        problems.append(_("宛名番号は半角数字%(n)d桁以内です") % {"n": ATENA_NUMBER_MAX_LENGTH})
    if not row["name"].strip():
        problems.append(_("氏名がありません"))
    for column, longest in (("previous_name", 100), ("previous_address", 200)):
        if len(row.get(column, "")) > longest:
            problems.append(_("「%(c)s」は %(n)d 文字までです") % {"c": column, "n": longest})
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
    household = row.get("household_number", "")
    if household and not (household.isascii() and household.isalnum() and len(household) <= 20):
        problems.append(_("世帯番号は半角英数字20文字以内です"))
    if len(row.get("relationship", "")) > 20:
        problems.append(_("続柄は20文字までです"))
    if row.get("postal_code") and not POSTAL_CODE.fullmatch(row["postal_code"]):
        problems.append(_("郵便番号は 123-4567 または 1234567 の形です"))
    for key in ("valid_from", "valid_to"):
        if (key == "valid_to" or unlinked) and not row[key]:
            continue
        try:
            parse_time(row[key])
        except ValueError:
            problems.append(_("%(k)s は時差付きの日時で書いてください") % {"k": key})
    if row["my_number"] and parse_my_number(row["my_number"]) is None:
        problems.append(_("個人番号が正しくありません (桁数または検査用数字)"))
    return problems
