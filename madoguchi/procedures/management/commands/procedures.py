from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json
from madoguchi.procedures.catalog import load_catalog
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import CatalogError


class Command(MadoguchiCommand):
    help = "手続カタログ (list: 一覧, load: カタログファイルの読込)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        for name, text in (
            ("list", "読込済みの手続を表示する"),
            ("load", "カタログファイルを読み込む"),
        ):
            sub.add_parser(name, help=text).add_argument(
                "--json", action="store_true", help="結果を JSON で出力する"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "load":
            try:
                report = load_catalog()
            except CatalogError as exc:
                raise CommandError(str(exc)) from exc
            if options["json"]:
                print_json(
                    {
                        "created": report.created,
                        "unchanged": report.unchanged,
                        "annotated": report.annotated,
                    }
                )
            else:
                self.stdout.write(
                    f"手続カタログを読み込みました: 新規 {len(report.created)} 件、"
                    f"変更なし {len(report.unchanged)} 件、"
                    f"読み取りの注記の更新 {len(report.annotated)} 件"
                )
            return
        rows = [
            {
                "id": p.procedure_id,
                "version": p.version,
                "name": p.name,
                "department": p.department.name,
            }
            for p in Procedure.objects.select_related("department")
        ]
        if options["json"]:
            print_json({"procedures": rows})
            return
        for row in rows:
            self.stdout.write(f"{row['id']}\t{row['version']}\t{row['name']}\t{row['department']}")
