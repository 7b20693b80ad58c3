from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.accounts.actions import (
    Move,
    StaffError,
    add_staff,
    disable_staff,
    enable_staff,
    find_department,
    find_staff,
    move_staff,
    parse_role,
    reset_password,
)
from madoguchi.accounts.models import StaffMove, User
from madoguchi.accounts.staff_import import import_staff
from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import iso_date, print_json
from madoguchi.vocabulary import Role

ROLE_HELP = "役割: " + "・".join(f"{r.value} ({r.label})" for r in Role) + "。日本語名でも可"


class Command(MadoguchiCommand):
    help = "職員の管理 (登録・一覧・異動・無効化・パスワードのリセット・人事課の一覧の取込)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="操作")
        add = sub.add_parser("add", help="職員を登録する (一度だけ使えるパスワードを表示)")
        add.add_argument("username", help="ユーザー名 (半角英数字)")
        add.add_argument("--name", required=True, help="氏名")
        add.add_argument("--kana", default="", help="氏名のカナ")
        add.add_argument("--department", help="所属コード (システム管理者は不要)")
        add.add_argument("--role", required=True, type=parse_role_arg, help=ROLE_HELP)
        add.add_argument("--email", default="", help="メールアドレス")
        add.add_argument("--json", action="store_true", help="結果を JSON で出力する")

        listing = sub.add_parser("list", help="職員の一覧 (所属・役割・状態・予定の異動)")
        listing.add_argument("--json", action="store_true", help="結果を JSON で出力する")

        move = sub.add_parser("move", help="人事異動 (所属・役割の変更。発令日を指定できる)")
        move.add_argument("username", help="ユーザー名")
        move.add_argument("--department", help="異動先の所属コード")
        move.add_argument("--role", type=parse_role_arg, help=ROLE_HELP)
        move.add_argument(
            "--from",
            dest="effective_from",
            type=iso_date,
            help="発令日 YYYY-MM-DD (その日から新しい所属で働く。省略すると今すぐ)",
        )

        disable = sub.add_parser(
            "disable", help="職員を無効にする (ログインとAPIトークンを即時停止)"
        )
        disable.add_argument("username", help="ユーザー名")
        enable = sub.add_parser("enable", help="無効にした職員を再び有効にする")
        enable.add_argument("username", help="ユーザー名")

        reset = sub.add_parser(
            "reset-password",
            help="パスワードをリセットする (一度だけ使えるパスワードを表示。次のログインで変更)",
        )
        reset.add_argument("username", help="ユーザー名")

        imported = sub.add_parser(
            "import", help="人事課の職員一覧 (CSV) を取り込む (docs/administration.md)"
        )
        imported.add_argument("file", type=Path, help="CSV ファイル (UTF-8 または Shift_JIS)")
        imported.add_argument(
            "--dry-run", action="store_true", help="変更内容を表示するだけで、何も変えない"
        )
        imported.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["subcommand"].replace("-", "_"))(options)
        except StaffError as exc:
            raise CommandError(str(exc)) from exc

    def _add(self, options: dict[str, Any]) -> None:
        department = find_department(options["department"]) if options["department"] else None
        user, password = add_staff(
            options["username"],
            display_name=options["name"],
            display_name_kana=options["kana"],
            department=department,
            role=options["role"],
            email=options["email"],
            actor=None,
        )
        if options["json"]:
            print_json({**_describe(user), "password": password})
            return
        self.stdout.write(
            f"{user.username} を登録しました。初回ログイン用のパスワード "
            f"(一度だけ表示します。ログイン後に変更を求めます): {password}"
        )

    def _list(self, options: dict[str, Any]) -> None:
        staff = [
            _describe(u) for u in User.objects.select_related("department").order_by("username")
        ]
        if options["json"]:
            print_json({"staff": staff})
            return
        for member in staff:
            line = (
                f"{member['username']}\t{member['name']}\t{member['department_name'] or '—'}\t"
                f"{member['role_label']}\t{'有効' if member['active'] else '無効'}"
            )
            for pending in member["pending_moves"]:
                line += f"\t{pending['effective_from']} から {pending['department'] or ''}"
                line += f" {pending['role'] or ''}"
            self.stdout.write(line.rstrip())

    def _move(self, options: dict[str, Any]) -> None:
        user = find_staff(options["username"])
        department = find_department(options["department"]) if options["department"] else None
        pending = move_staff(
            user,
            Move(department, options["role"]),
            effective_from=options["effective_from"],
            actor=None,
        )
        user.refresh_from_db()
        if pending is None:
            self.stdout.write(
                f"{user.username}: {user.department or '所属なし'} の "
                f"{user.get_role_display()} になりました"
            )
        else:
            self.stdout.write(
                f"{user.username}: {pending.effective_from.isoformat()} に異動します "
                "(それまでは今の所属で働きます)"
            )

    def _disable(self, options: dict[str, Any]) -> None:
        user = find_staff(options["username"])
        disable_staff(user, actor=None)
        self.stdout.write(f"{user.username} を無効にしました (ログインとAPIトークンは使えません)")

    def _enable(self, options: dict[str, Any]) -> None:
        user = find_staff(options["username"])
        enable_staff(user, actor=None)
        self.stdout.write(f"{user.username} を有効にしました")

    def _reset_password(self, options: dict[str, Any]) -> None:
        user = find_staff(options["username"])
        password = reset_password(user, actor=None)
        self.stdout.write(
            f"{user.username} のパスワードをリセットしました。一度だけ使えるパスワード: {password}"
        )

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        report = import_staff(path.read_bytes(), dry_run=options["dry_run"], actor=None)
        if options["json"]:
            print_json(
                {
                    "dry_run": report.dry_run,
                    "applied": not report.dry_run and not report.errors,
                    "changes": [asdict(c) for c in report.changes],
                    "unchanged": report.unchanged,
                    "errors": report.errors,
                }
            )
        else:
            for change in report.changes:
                detail = " ".join(f"{k}={v}" for k, v in change.detail.items() if v)
                line = f"{change.line} 行目\t{change.username}\t{change.label}"
                if detail:
                    line += f"\t{detail}"
                if change.password:
                    line += f"\t初回パスワード: {change.password}"
                self.stdout.write(line)
            for error in report.errors:
                self.stderr.write(error)
            verb = (
                "変更します (--dry-run: まだ何も変えていません)"
                if report.dry_run
                else "変更しました"
            )
            if not report.errors:
                self.stdout.write(
                    f"{len(report.changes)} 件を{verb}。変更のない行: {report.unchanged}"
                )
        if report.errors:
            raise CommandError("誤りのある行があるため、何も変更していません")


def parse_role_arg(value: str) -> Role:
    try:
        return parse_role(value)
    except StaffError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _describe(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.display_name,
        "kana": user.display_name_kana,
        "email": user.email,
        "department": user.department.code if user.department else None,
        "department_name": user.department.name if user.department else None,
        "role": user.role,
        "role_label": str(user.get_role_display()),
        "active": user.is_active,
        "pending_moves": [
            {
                "effective_from": m.effective_from.isoformat(),
                "department": m.department.code if m.department else None,
                "role": m.role or None,
            }
            for m in StaffMove.objects.filter(user=user, applied_at=None).select_related(
                "department"
            )
        ],
    }
