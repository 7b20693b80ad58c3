from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import Count, Q

from madoguchi.accounts.actions import (
    StaffError,
    add_department,
    find_department,
    rename_department,
)
from madoguchi.accounts.models import Department
from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json
from madoguchi.procedures.actions import assign_procedure, merge_departments
from madoguchi.procedures.models import Procedure


class Command(MadoguchiCommand):
    help = "所属(課)の管理 (追加・一覧・名称変更・統合・手続の担当の変更)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="操作")
        add = sub.add_parser("add", help="所属を追加する")
        add.add_argument("code", help="所属コード (半角英小文字・数字・_ -)")
        add.add_argument("--name", required=True, help="所属名 (例: 子育て支援課)")
        listing = sub.add_parser("list", help="所属の一覧 (職員数と担当する手続)")
        listing.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        rename = sub.add_parser("rename", help="所属名を変える")
        rename.add_argument("code", help="所属コード")
        rename.add_argument("--name", required=True, help="新しい所属名")
        merge = sub.add_parser(
            "merge", help="組織改正: 所属を別の所属に統合する (手続と職員が移る)"
        )
        merge.add_argument("code", help="統合される所属のコード")
        merge.add_argument("--into", required=True, help="統合先の所属コード")
        assign = sub.add_parser("assign", help="手続を担当する所属を変える")
        assign.add_argument("procedure", help="手続ID")
        assign.add_argument("--department", required=True, help="担当する所属コード")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except StaffError as exc:
            raise CommandError(str(exc)) from exc

    def _handle(self, options: dict[str, Any]) -> None:
        command = options["subcommand"]
        if command == "add":
            department = add_department(options["code"], name=options["name"], actor=None)
            self.stdout.write(f"所属を追加しました: {department.code} {department.name}")
        elif command == "rename":
            department = find_department(options["code"])
            rename_department(department, name=options["name"], actor=None)
            self.stdout.write(f"所属名を変えました: {department.code} {department.name}")
        elif command == "merge":
            source = find_department(options["code"])
            counts = merge_departments(source, find_department(options["into"]), actor=None)
            self.stdout.write(
                f"{source.name} を {source.merged_into} に統合しました "
                f"(手続 {counts['procedures']} 版、職員 {counts['staff']} 人)"
            )
        elif command == "assign":
            department = find_department(options["department"])
            assign_procedure(options["procedure"], department, actor=None)
            self.stdout.write(f"{options['procedure']} の担当を {department.name} にしました")
        else:
            self._list(options)

    def _list(self, options: dict[str, Any]) -> None:
        rows = []
        departments = Department.objects.select_related("merged_into").annotate(
            staff=Count("user", filter=Q(user__is_active=True))
        )
        for department in departments:
            procedures = sorted(
                set(
                    Procedure.objects.filter(department=department).values_list(
                        "procedure_id", flat=True
                    )
                )
            )
            rows.append(
                {
                    "code": department.code,
                    "name": department.name,
                    "staff": department.staff,
                    "procedures": procedures,
                    "merged_into": department.merged_into.code if department.merged_into else None,
                }
            )
        if options["json"]:
            print_json({"departments": rows})
            return
        for row in rows:
            state = f"(統合済 → {row['merged_into']})" if row["merged_into"] else ""
            self.stdout.write(
                f"{row['code']}\t{row['name']}{state}\t職員 {row['staff']} 人\t"
                f"手続 {len(row['procedures'])}"
            )
