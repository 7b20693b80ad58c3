from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.lib.cli import print_json
from madoguchi.linking.batch import export_batch


class Command(BaseCommand):
    help = "基幹システム連携 (batch: 一括取込ファイルの出力)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        batch = sub.add_parser("batch", help="基幹連携待ちの申請を一括取込ファイルに出力する")
        batch.add_argument("--procedure", required=True, help="手続ID")
        batch.add_argument("--format", required=True, choices=["csv-utf8", "csv-cp932", "fixed"])
        batch.add_argument("--out", required=True, type=Path)
        batch.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = export_batch(
                options["procedure"], options["format"], options["out"], actor=None
            )
        except LookupError as exc:
            raise CommandError(f"手続がありません: {options['procedure']}") from exc
        held = [
            {"receipt_number": h.receipt_number, "column": h.column, "value": h.value}
            for h in report.held_back
        ]
        if options["json"]:
            print_json(
                {
                    "files": [str(path) for path in report.files],
                    "exported": report.exported,
                    "held_back": held,
                }
            )
            return
        if report.files:
            self.stdout.write(f"{len(report.exported)} 件を出力しました:")
            for path in report.files:
                self.stdout.write(f"  {path}")
        else:
            self.stdout.write("出力する申請はありません")
        for h in held:
            self.stdout.write(
                f"保留: {h['receipt_number']} の「{h['column']}」は出力先の文字コードで表せません"
            )
