"""`madoguchi notices receipts --date YYYY-MM-DD --out DIR [--json]` (DESIGN.md §6).

`notices batch` (letters and the 発送簿) is not built yet: the paper issue's letters."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from madoguchi.lib.cli import print_json
from madoguchi.notices.actions import write_receipts


def day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD で指定してください: {value}") from None


class Command(BaseCommand):
    help = "帳票: 受付簿 (その日に受け付けた申請の一覧、所属ごとに PDF と CSV)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        receipts = sub.add_parser("receipts", help="その日の受付簿を所属ごとに出力する")
        receipts.add_argument("--date", required=True, type=day, help="受付日 (YYYY-MM-DD)")
        receipts.add_argument("--out", required=True, type=Path, help="出力先フォルダ")
        receipts.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        report = write_receipts(options["date"], options["out"])
        if options["json"]:
            print_json(
                {
                    "date": report.day.isoformat(),
                    "files": [str(p) for p in report.files],
                    "counts": report.counts,
                }
            )
            return
        total = sum(report.counts.values())
        self.stdout.write(f"{report.day} の受付簿: {total} 件、{len(report.files)} ファイル")
        for path in report.files:
            self.stdout.write(f"  {path}")
