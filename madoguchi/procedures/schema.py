"""Catalog file structure and validation of a form against its procedure's fields."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.applications.constants import Status

FIELD_TYPE_LABELS = {
    "text": gettext_lazy("文字"),
    "kana": gettext_lazy("全角カタカナ"),
    "date": gettext_lazy("日付"),
    "postal_code": gettext_lazy("郵便番号"),
    "phone": gettext_lazy("電話番号"),
    "digits": gettext_lazy("半角数字"),
    "choice": gettext_lazy("選択肢"),
}
FIELD_TYPES = set(FIELD_TYPE_LABELS)
KANA_RE = re.compile(r"^[\u30A0-\u30FF\u3000 ー・]+$")
POSTAL_RE = re.compile(r"^\d{3}-?\d{4}$")
PHONE_RE = re.compile(r"^0\d{1,4}-?\d{1,4}-?\d{3,4}$")
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


def validate_form(fields: list[dict[str, Any]], form: dict[str, str]) -> dict[str, list[str]]:
    """Field-level errors in Japanese; empty when the form satisfies its procedure."""
    errors: dict[str, list[str]] = {}
    known = {field["id"] for field in fields}
    for field in fields:
        value = form.get(field["id"], "").strip()
        problems = _field_errors(field, value)
        if problems:
            errors[field["id"]] = problems
    for key in sorted(set(form) - known):
        errors[key] = [_("申請書に定義されていない項目です")]
    return errors


def _field_errors(field: dict[str, Any], value: str) -> list[str]:
    if not value:
        return [_("必須項目が入力されていません")] if field.get("required") else []
    kind = field["type"]
    max_length = field.get("max_length")
    if max_length and len(value) > max_length:
        return [_("%(n)d 文字以内で入力してください") % {"n": max_length}]
    if kind == "kana" and not KANA_RE.match(value):
        return [_("全角カタカナで入力してください")]
    if kind == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return [_("日付(YYYY-MM-DD)が正しくありません")]
    if kind == "postal_code" and not POSTAL_RE.match(value):
        return [_("郵便番号は7桁で入力してください")]
    if kind == "phone" and not PHONE_RE.match(value):
        return [_("電話番号が正しくありません")]
    if kind == "digits":
        length = field.get("length")
        if not value.isascii() or not value.isdigit():
            return [_("半角数字で入力してください")]
        if length and len(value) != length:
            return [_("%(n)d 桁の数字で入力してください") % {"n": length}]
    if kind == "choice" and value not in field["choices"]:
        return [_("選択肢にない値です")]
    return []
