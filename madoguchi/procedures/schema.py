"""Catalog file structure and validation of a form against its procedure's fields."""

from __future__ import annotations

import functools
import re
from pathlib import PurePosixPath
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.lib.cells import HIDDEN
from madoguchi.lib.office_calendar import BUSINESS, UNITS
from madoguchi.vocabulary import Status

from .fields import FIELD_TYPES, field_type, sealed

# A repeating group (children, …): entries of its own fields, stored as "<group>.<n>.<field>"
# (n from 1), validated entry by entry; export columns name an entry's field by its number.
# The value types themselves live in procedures/fields/, one class each.
GROUP = "group"
GROUP_LABEL = gettext_lazy("繰り返し(表)")
# An entry of a group, after the group's id: ".<n>.<field>".
_ENTRY = r"\.([1-9][0-9]{0,2})\.([a-z][a-z0-9_]*)"
GROUP_KEY = re.compile(rf"^([a-z][a-z0-9_]*){_ENTRY}$")
SOURCE_RE = re.compile(
    r"^(form\.[a-z0-9_]+(\.[1-9][0-9]{0,2}\.[a-z0-9_]+)?"
    r"|application\.(receipt_number|submitted_date)|resident\.atena_number)$"
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

    def check_fields(fields: Any, within: str = "") -> set[str]:
        ids: set[str] = set()
        if not isinstance(fields, list) or not fields:
            fail(_("「%(g)s」に fields がありません") % {"g": within or "fields"}, within or None)
        for index, field in enumerate(fields, start=1):
            if not isinstance(field, dict) or not isinstance(field.get("id"), str):
                fail(_("%(n)d 番目の項目に id がありません") % {"n": index})
            near = f'id = "{field["id"]}"'
            if not re.match(r"^[a-z][a-z0-9_]*$", field["id"]):
                fail(
                    _("項目ID「%(id)s」は英小文字で始め、英小文字・数字・_ で書いてください")
                    % field,
                    near,
                )
            if field["id"] in ids:
                fail(_("項目ID「%(id)s」が重複しています") % {"id": field["id"]}, near)
            ids.add(field["id"])
            if not isinstance(field.get("label"), str):
                fail(_("項目「%(id)s」に label がありません") % {"id": field["id"]}, near)
            if field.get("type") == GROUP and not within:
                check_fields(field.get("fields"), field["id"])
                low, high = field.get("min_entries", 0), field.get("max_entries")
                if not isinstance(low, int) or not isinstance(high, int) or not 0 <= low <= high:
                    fail(
                        _("繰り返し「%(id)s」には 0 ≤ min_entries ≤ max_entries を書いてください")
                        % field,
                        near,
                    )
                if high > 999:
                    fail(_("繰り返し「%(id)s」の max_entries は 999 までです") % field, near)
                continue
            if field.get("type") not in FIELD_TYPES:
                fail(_("項目「%(id)s」の type が不明です") % {"id": field["id"]}, near)
            problem = field_type(field["type"]).catalog_problem(field)
            if problem:
                fail(problem, near)
        return ids

    ids = check_fields(definition["fields"])
    groups = {f["id"]: f for f in definition["fields"] if f.get("type") == GROUP}
    for field in all_fields(definition["fields"]):
        condition = field.get("required_when")
        if condition is None:
            continue
        near = f'id = "{field["id"]}"'
        if (
            not isinstance(condition, dict)
            or not isinstance(condition.get("field"), str)
            or ("equals" in condition) == ("in" in condition)
        ):
            fail(
                _("項目「%(id)s」の required_when は field と equals か in で書きます") % field,
                near,
            )
        siblings = {f["id"] for g in groups.values() for f in g["fields"] if field in g["fields"]}
        if condition["field"] not in ids | siblings:
            fail(_("項目「%(id)s」の required_when が未定義の項目を参照しています") % field, near)
    window = definition.get("duplicate_window_days", 0)
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        fail(_("duplicate_window_days は 0 以上の日数です"), "duplicate_window_days")
    key = definition.get("duplicate_key", [])
    if not isinstance(key, list) or not set(key) <= ids:
        fail(_("duplicate_key は定義済みの項目IDの一覧です"), "duplicate_key")
    if any(f["id"] in key and sealed(f) for f in definition["fields"]):
        # Kept encrypted, so never compared in the clear (the registry link finds the person).
        fail(_("個人番号の項目は duplicate_key にできません"), "duplicate_key")
    for attachment in definition.get("attachments", []):
        if not isinstance(attachment, dict) or not re.match(
            r"^[a-z0-9_-]+$", str(attachment.get("id", ""))
        ):
            fail(_("添付ファイルの id は英小文字・数字で書いてください"), "[[attachments]]")
        if not set(attachment.get("media_types", [])) <= MEDIA_TYPES:
            fail(
                _("添付ファイル「%(id)s」の media_types が不正です") % attachment, attachment["id"]
            )
        condition = attachment.get("required_when")
        if condition is not None:
            within = groups.get(condition.get("group", "")) if isinstance(condition, dict) else None
            known = {f["id"] for f in within["fields"]} if within else ids
            if (
                not isinstance(condition, dict)
                or condition.get("field") not in known
                or ("group" in condition and within is None)
                or ("equals" in condition) == ("in" in condition)
            ):
                fail(
                    _(
                        "添付ファイル「%(id)s」の required_when は field(繰り返しの項目なら "
                        "group も)と equals か in で書きます"
                    )
                    % attachment,
                    attachment["id"],
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
        slot = GROUP_KEY.match(source_expr[5:]) if source_expr.startswith("form.") else None
        if slot and slot.group(1) in groups:
            group = groups[slot.group(1)]
            if int(slot.group(2)) > group["max_entries"] or slot.group(3) not in {
                f["id"] for f in group["fields"]
            }:
                fail(_("出力項目「%(s)s」が繰り返しの範囲外です") % {"s": source_expr}, source_expr)
            continue
        if source_expr.startswith("form.") and source_expr[5:] not in ids:
            fail(
                _("出力項目が未定義の項目「%(s)s」を参照しています") % {"s": source_expr},
                source_expr,
            )


# Key of attachment problems in an application's form_errors (field ids cannot start with _).
ATTACHMENTS_KEY = "_attachments"


def validate_attachments(
    expected: list[dict[str, Any]], received: list[dict[str, Any]], form: dict[str, str]
) -> list[str]:
    """Required attachments that did not come (required, or required by what the form says:
    ``required_when`` — in a group, by any entry), and attachments of a refused type."""
    by_id = {PurePosixPath(a["name"]).stem: a for a in received}
    problems = []
    for attachment in expected:
        got = by_id.get(attachment["id"])
        if got is None:
            if attachment.get("required") or _attachment_wanted(attachment, form):
                problems.append(_("「%(label)s」が添付されていません") % attachment)
        elif attachment.get("media_types") and got["media_type"] not in attachment["media_types"]:
            problems.append(_("「%(label)s」のファイル形式が受け付けられません") % attachment)
    return problems


def _attachment_wanted(attachment: dict[str, Any], form: dict[str, str]) -> bool:
    """An attachment's ``required_when`` ({field, equals|in}, the field a form key or, with
    ``group``, a field of any entry of that group) holds for this form."""
    condition = attachment.get("required_when")
    if not condition:
        return False
    wanted = condition["in"] if "in" in condition else [condition["equals"]]
    if "group" in condition:
        prefix, suffix = f"{condition['group']}.", f".{condition['field']}"
        return any(
            key.startswith(prefix) and key.endswith(suffix) and value in wanted
            for key, value in form.items()
        )
    return form.get(condition["field"]) in wanted


def max_length(field: dict[str, Any]) -> int:
    """The longest value the validator lets through for this field, in characters."""
    return field_type(field["type"]).max_length(field)


def clean_form(form: dict[str, str]) -> dict[str, str]:
    """The form as it is stored, validated and handed over: surrounding spaces (half- or
    full-width) dropped, once, here. The signed original stays in the evidence."""
    return {key: value.strip(" \t\u3000") for key, value in form.items()}


def all_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every field, those inside repeating groups too (each once, not per entry)."""
    found = []
    for field in fields:
        found.append(field)
        if field.get("type") == GROUP:
            found += list(field.get("fields", []))
    return found


def field_at(fields: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    """The field a form key names: a field id, or "<group>.<n>.<field>" of a group."""
    slot = GROUP_KEY.match(key)
    for field in fields:
        if slot and field["id"] == slot.group(1) and field.get("type") == GROUP:
            return next((f for f in field["fields"] if f["id"] == slot.group(3)), None)
        if field["id"] == key and field.get("type") != GROUP:
            return field
    return None


def key_labels(fields: list[dict[str, Any]], form: dict[str, Any]) -> dict[str, str]:
    """A label for every key of the form: the field's, or 「児童 2 氏名」 in a group."""
    labels = {f["id"]: f["label"] for f in fields if f.get("type") != GROUP}
    for group in (f for f in fields if f.get("type") == GROUP):
        for number in group_entries(group, form):
            for field in group["fields"]:
                labels[f"{group['id']}.{number}.{field['id']}"] = (
                    f"{group['label']} {number} {field['label']}"
                )
    return labels


def display_rows(
    fields: list[dict[str, Any]], form: dict[str, Any], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The form as screens and the print view show it, in the catalog's order: a row per
    field, and a repeating group as one table (a row per entry, a column per field)."""
    rows: list[dict[str, Any]] = []
    for field in fields:
        if field.get("type") != GROUP:
            rows.append(
                {
                    "id": field["id"],
                    "label": field["label"],
                    "value": str(form.get(field["id"], "")),
                    "errors": errors.get(field["id"], []),
                }
            )
            continue
        entries = [
            {
                "number": number,
                "cells": [
                    {
                        "value": str(form.get(f"{field['id']}.{number}.{sub['id']}", "")),
                        "errors": errors.get(f"{field['id']}.{number}.{sub['id']}", []),
                    }
                    for sub in field["fields"]
                ],
            }
            for number in group_entries(field, form)
        ]
        rows.append(
            {
                "id": field["id"],
                "label": field["label"],
                "group": True,
                "columns": [sub["label"] for sub in field["fields"]],
                "entries": entries,
                "errors": errors.get(field["id"], []),
            }
        )
    return rows


def slot_limits(
    fields: list[dict[str, Any]], columns: list[dict[str, str]]
) -> dict[str, tuple[str, int]]:
    """Each group the hand-over layout numbers slots for (form.<group>.<n>.<field> columns):
    its label and how many entries the layout holds. Once per layout, not per record."""
    slots: dict[str, int] = {}
    for column in columns:
        found = GROUP_KEY.match(column["source"].removeprefix("form."))
        if found:
            slots[found.group(1)] = max(slots.get(found.group(1), 0), int(found.group(2)))
    return {
        f["id"]: (f["label"], slots[f["id"]])
        for f in fields
        if f.get("type") == GROUP and f["id"] in slots
    }


@functools.lru_cache(maxsize=64)
def _entry_keys(groups: tuple[str, ...]) -> re.Pattern[str]:
    """GROUP_KEY for these groups only, a key per line."""
    names = "|".join(re.escape(group) for group in groups)
    return re.compile(f"^({names}){_ENTRY}$", re.MULTILINE)


def slot_overflow(
    limits: dict[str, tuple[str, int]], form: dict[str, Any]
) -> tuple[str, str] | None:
    """(the group's label, the reason) when the form has more entries of a group than the
    hand-over layout has slots for (``limits``: slot_limits): such a record is held back for
    a clerk, never cut."""
    if not limits:
        return None
    # One search over all the keys, a line each (an export asks this of every record). A
    # key with a line break of its own can only add a line that counts too many, never hide
    # a real entry: at worst a record is held back for a clerk.
    entries: dict[str, set[str]] = {}
    for group_id, number, _field in _entry_keys(tuple(limits)).findall("\n".join(form)):
        entries.setdefault(group_id, set()).add(number)  # no leading zeros: one text a number
    for group_id, (label, most) in limits.items():  # in the form's order of groups
        numbers = entries.get(group_id, set())
        if len(numbers) > most:
            return label, _(
                "が %(n)d 件あり、連携の様式は %(m)d 件までです(超える分は基幹システムに手入力)"
            ) % {"n": len(numbers), "m": most}
    return None


def group_entries(group: dict[str, Any], form: dict[str, Any]) -> list[int]:
    """The entry numbers of a group that the form has (any of its keys "<group>.<n>.…")."""
    numbers = set()
    for key in form:
        found = GROUP_KEY.match(key)
        if found and found.group(1) == group["id"]:
            numbers.add(int(found.group(2)))
    return sorted(numbers)


def _required(field: dict[str, Any], values: dict[str, str]) -> bool:
    condition = field.get("required_when")
    if condition is None:
        return bool(field.get("required"))
    value = values.get(str(condition.get("field")), "")
    if "in" in condition:
        return value in condition["in"]
    return value == condition.get("equals")


def condition_text(field: dict[str, Any], labels: dict[str, str]) -> str:
    """「加入年金」が「厚生年金」のとき必須, for the catalog page and the forms."""
    condition = field.get("required_when")
    if condition is None:
        return ""
    label = labels.get(str(condition["field"]), str(condition["field"]))
    wanted = "・".join(condition["in"]) if "in" in condition else str(condition["equals"])
    return _("「%(f)s」が「%(v)s」のとき必須") % {"f": label, "v": wanted}


def validate_form(fields: list[dict[str, Any]], form: dict[str, str]) -> dict[str, list[str]]:
    """Field-level errors in Japanese on a cleaned form (``clean_form``); empty when the
    form satisfies its procedure. A repeating group's entries are checked one by one (keys
    "<group>.<n>.<field>"), and must be numbered from 1 without gaps, within its bounds."""
    errors: dict[str, list[str]] = {}
    known: set[str] = set()
    for field in fields:
        if field.get("type") == GROUP:
            known |= _validate_group(field, form, errors)
            continue
        known.add(field["id"])
        problems = _field_errors(field, form.get(field["id"], ""), _required(field, form))
        if problems:
            errors[field["id"]] = problems
    for key in sorted(set(form) - known):
        errors[key] = [_("申請書に定義されていない項目です")]
    return errors


def _validate_group(
    group: dict[str, Any], form: dict[str, str], errors: dict[str, list[str]]
) -> set[str]:
    numbers = group_entries(group, form)
    known: set[str] = set()
    problems = []
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(_("番号が1から連続していません"))
    if len(numbers) < int(group.get("min_entries", 0)):
        problems.append(_("少なくとも %(n)d 件入力してください") % {"n": group["min_entries"]})
    if len(numbers) > int(group["max_entries"]):
        problems.append(_("%(n)d 件までです") % {"n": group["max_entries"]})
    if problems:
        errors[group["id"]] = problems
    for number in numbers:
        prefix = f"{group['id']}.{number}."
        entry = {f["id"]: form.get(prefix + f["id"], "") for f in group["fields"]}
        for field in group["fields"]:
            key = prefix + field["id"]
            known.add(key)
            values = form | entry  # a condition names a field of the entry, or of the form
            found = _field_errors(field, entry[field["id"]], _required(field, values))
            if found:
                errors[key] = found
    return known


def _field_errors(field: dict[str, Any], value: str, required: bool | None = None) -> list[str]:
    """A field's problems; ``required`` as its condition decided (else its own flag)."""
    if not value:
        needed = bool(field.get("required")) if required is None else required
        return [_("必須項目が入力されていません")] if needed else []
    # No control character (C0, C1, DEL, line breaks) and no bidirectional override.
    if HIDDEN.search(value):
        return [_("改行・制御文字・文字の向きを変える記号は使えません")]
    return field_type(field["type"]).errors(field, value)


def field_warnings(fields: list[dict[str, Any]], form: dict[str, str]) -> dict[str, list[str]]:
    """Warnings a clerk sees, never refusals, field by field as each type finds them (a
    郵便番号 that names another town than the address beside it, say)."""
    warnings: dict[str, list[str]] = {}
    for field in fields:
        value = form.get(field["id"], "")
        if field.get("type") == GROUP or not value:
            continue
        found = field_type(field["type"]).warnings(field, value, fields, form)
        if found:
            warnings[field["id"]] = found
    return warnings
