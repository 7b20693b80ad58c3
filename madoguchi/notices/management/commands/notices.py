"""`madoguchi notices receipts --date YYYY-MM-DD --out DIR [--json]` and
`madoguchi notices batch --kind KIND --out DIR [--date D] [--procedure ID] [--json]`
(DESIGN.md §6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import iso_date, print_json
from madoguchi.notices.actions import send_letters, write_receipts
from madoguchi.notices.models import LetterKind


class Command(MadoguchiCommand):
    help = "帳票: 受付簿 (その日に受け付けた申請の一覧、所属ごとに PDF と CSV)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        receipts = sub.add_parser("receipts", help="その日の受付簿を所属ごとに出力する")
        receipts.add_argument("--date", required=True, type=iso_date, help="受付日 (YYYY-MM-DD)")
        receipts.add_argument("--out", required=True, type=Path, help="出力先フォルダ")
        receipts.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        batch = sub.add_parser("batch", help="通知書(1つのPDF)と発送簿(CSV・PDF)を出力する")
        batch.add_argument(
            "--kind",
            required=True,
            choices=LetterKind.values,
            help="通知の種類 (receipt: 受理, correction: 補正依頼, rejection: 却下, "
            "general: お知らせ)",
        )
        batch.add_argument("--out", required=True, type=Path, help="出力先フォルダ")
        batch.add_argument(
            "--date", type=iso_date, default=None, help="受付・ステータス変更の日 (既定: 今日)"
        )
        batch.add_argument("--procedure", default=None, help="手続ID で絞り込む")
        batch.add_argument(
            "--message",
            default="",
            help="お知らせ (--kind general) の本文 (その日に受け付けた申請へ)",
        )
        batch.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "batch":
            self._batch(options)
            return
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

    def _batch(self, options: dict[str, Any]) -> None:
        try:
            result = send_letters(
                LetterKind(options["kind"]),
                options["out"],
                day=options["date"] or timezone.localdate(),
                procedure_id=options["procedure"],
                message=options["message"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            print_json(
                {
                    "kind": result.kind,
                    "batch": result.batch,
                    "letters": [
                        {
                            "receipt_number": letter.application.receipt_number,
                            "to": letter.address_source,
                        }
                        for letter in result.letters
                    ],
                    "files": [str(p) for p in result.files],
                }
            )
            return
        self.stdout.write(f"{LetterKind(result.kind).label}: {len(result.letters)} 通")
        for path in result.files:
            self.stdout.write(f"  {path}")
