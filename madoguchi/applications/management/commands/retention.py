from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from madoguchi.applications.retention import run
from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json


class Command(MadoguchiCommand):
    help = "保存期間 (run: 期間を過ぎた申請の個人データを削除する。既定は確認のみ)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        go = sub.add_parser("run", help="対象を表示する (--apply で削除する)")
        go.add_argument("--apply", action="store_true", help="実際に削除する")
        go.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        report = run(apply=options["apply"])
        if options["json"]:
            print_json({"applied": options["apply"], "applications": report.purged})
            return
        verb = "削除しました" if options["apply"] else "削除の対象です (--apply で削除します)"
        self.stdout.write(f"{len(report.purged)} 件が{verb}")
        for receipt_number in report.purged:
            self.stdout.write(f"  {receipt_number}")
