from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.lib.cli import print_json
from madoguchi.residents.loader import LoadError, load_links


class Command(BaseCommand):
    help = "番号紐付情報 (load: 住基側の出力ファイルを読み込む)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("load", help="番号紐付情報ファイル (CSV) を読み込む")
        load.add_argument("file", type=Path)
        load.add_argument("--delta", action="store_true", help="差分ファイルとして読み込む")
        load.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"ファイルがありません: {path}")
        try:
            report = load_links(path)
        except LoadError as exc:
            if options["json"]:
                print_json({"ok": False, "problems": exc.problems})
            raise CommandError("番号紐付情報を読み込めませんでした:\n" + str(exc)) from exc
        if options["json"]:
            print_json({"ok": True, **asdict(report)})
        else:
            self.stdout.write(
                f"{report.rows} 行を読み込みました (住民 新規 {report.residents_created}・"
                f"更新 {report.residents_updated}、紐付 新規 {report.links_created})"
            )
