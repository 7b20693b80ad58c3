"""The 人事課's staff list (CSV) read into changes: new staff, 人事異動 with their 発令日,
leavers, corrected names. Every row is checked before anything changes: one bad row and
nothing is applied, so a list is never half taken (the administrator corrects the file and
runs it again; `--dry-run` shows the changes first).

Columns, by heading (Japanese as the 人事課 writes them, or the English names):
ユーザー名 (username), 氏名 (name), カナ (kana), 所属コード (department), 役割 (role),
メール (email), 発令日 (effective_from, YYYY-MM-DD; blank = at once), 在籍 (active:
在職 or 退職). Staff not in the file are left as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.lib.spreadsheet import decode_spreadsheet_text
from madoguchi.vocabulary import Role

from .actions import (
    Move,
    StaffError,
    add_staff,
    disable_staff,
    enable_staff,
    find_department,
    move_staff,
    parse_role,
    update_staff,
)
from .models import Department, StaffMove, User

COLUMNS = {
    "ユーザー名": "username",
    "氏名": "name",
    "カナ": "kana",
    "所属コード": "department",
    "役割": "role",
    "メール": "email",
    "発令日": "effective_from",
    "在籍": "active",
}
LEAVING = {"退職", "無効", "false", "0", "no"}
KIND_LABELS = {
    "add": gettext_lazy("登録"),
    "update": gettext_lazy("氏名・連絡先の変更"),
    "move": gettext_lazy("異動"),
    "disable": gettext_lazy("無効化"),
    "enable": gettext_lazy("再有効化"),
}


@dataclass
class Change:
    line: int
    username: str
    kind: str  # add | update | move | disable | enable
    detail: dict[str, Any] = field(default_factory=dict)
    password: str | None = None

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class ImportReport:
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class _Row:
    line: int
    username: str
    name: str
    kana: str
    department: Department | None
    role: Role
    email: str
    effective_from: dt.date | None
    leaving: bool


def _read_rows(data: bytes, report: ImportReport) -> list[_Row]:
    text = decode_spreadsheet_text(data)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        report.errors.append(_("ファイルが空です"))
        return []
    keys = [COLUMNS.get(h.strip(), h.strip()) for h in header]
    missing = [h for h, key in COLUMNS.items() if key in ("username", "name", "role")]
    missing = [h for h in missing if COLUMNS[h] not in keys]
    if missing:
        report.errors.append(_("見出しに次の列がありません: %(c)s") % {"c": "、".join(missing)})
        return []
    rows: list[_Row] = []
    seen: set[str] = set()
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {key: (cells[i].strip() if i < len(cells) else "") for i, key in enumerate(keys)}
        username = User.normalize_username(values.get("username", ""))
        try:
            if not username:
                raise StaffError(_("ユーザー名がありません"))
            if username in seen:
                raise StaffError(_("同じユーザー名が2回あります: %(u)s") % {"u": username})
            seen.add(username)
            role = parse_role(values.get("role", ""))
            code = values.get("department", "")
            department = find_department(code) if code else None
            effective = values.get("effective_from", "")
            try:
                effective_from = dt.date.fromisoformat(effective) if effective else None
            except ValueError:
                raise StaffError(
                    _("発令日は YYYY-MM-DD で書いてください: %(v)s") % {"v": effective}
                ) from None
            rows.append(
                _Row(
                    line=line,
                    username=username,
                    name=values.get("name", ""),
                    kana=values.get("kana", ""),
                    department=department,
                    role=role,
                    email=values.get("email", ""),
                    effective_from=effective_from,
                    leaving=values.get("active", "").lower() in LEAVING,
                )
            )
        except StaffError as exc:
            report.errors.append(_("%(n)d 行目: %(e)s") % {"n": line, "e": exc})
    return rows


def _plan(row: _Row) -> list[Change]:
    user = User.objects.filter(username=row.username).select_related("department").first()
    if user is None:
        if row.leaving:
            return []
        if row.role != Role.ADMINISTRATOR and row.department is None:
            raise StaffError(_("新しい職員には所属コードが必要です"))
        return [Change(row.line, row.username, "add", _describe(row.department, row.role))]
    changes: list[Change] = []
    if row.leaving:
        return [Change(row.line, row.username, "disable")] if user.is_active else []
    if not user.is_active:
        changes.append(Change(row.line, row.username, "enable"))
    # A column left blank keeps what the account has.
    row.name = row.name or user.display_name
    row.kana = row.kana or user.display_name_kana
    row.email = row.email or user.email
    if (row.name, row.kana, row.email) != (user.display_name, user.display_name_kana, user.email):
        changes.append(
            Change(row.line, row.username, "update", {"name": row.name, "kana": row.kana})
        )
    department = None if row.role == Role.ADMINISTRATOR else row.department
    wanted = (department.pk if department else user.department_id, row.role.value)
    pending = StaffMove.objects.filter(user=user, applied_at=None)
    already = any(
        (m.department_id or user.department_id, m.role or user.role) == wanted
        and m.effective_from == row.effective_from
        for m in pending
    )
    if (user.department_id, user.role) != wanted and not already:
        detail = _describe(department, row.role)
        if row.effective_from:
            detail["effective_from"] = row.effective_from.isoformat()
        changes.append(Change(row.line, row.username, "move", detail))
    return changes


def _describe(department: Department | None, role: Role) -> dict[str, Any]:
    return {"department": department.code if department else None, "role": role.value}


def import_staff(data: bytes, *, dry_run: bool, actor: User | None) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    rows = _read_rows(data, report)
    by_line = {row.line: row for row in rows}
    for row in rows:
        try:
            report.changes.extend(_plan(row))
        except StaffError as exc:
            report.errors.append(_("%(n)d 行目: %(e)s") % {"n": row.line, "e": exc})
    report.unchanged = len({r.line for r in rows} - {c.line for c in report.changes})
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        for change in report.changes:
            _apply(change, by_line[change.line], actor)
    return report


def _apply(change: Change, row: _Row, actor: User | None) -> None:
    if change.kind == "add":
        _user, change.password = add_staff(
            row.username,
            display_name=row.name,
            display_name_kana=row.kana,
            email=row.email,
            department=row.department,
            role=row.role,
            actor=actor,
        )
        return
    user = User.objects.get(username=row.username)
    if change.kind == "disable":
        disable_staff(user, actor=actor)
    elif change.kind == "enable":
        enable_staff(user, actor=actor)
    elif change.kind == "update":
        update_staff(
            user, display_name=row.name, display_name_kana=row.kana, email=row.email, actor=actor
        )
    elif change.kind == "move":
        move_staff(
            user, Move(row.department, row.role), effective_from=row.effective_from, actor=actor
        )
