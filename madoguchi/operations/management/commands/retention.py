from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from madoguchi.applications.retention import run
from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json
from madoguchi.minutes.actions import run_retention as minutes_retention


class Command(MadoguchiCommand):
    help = (
        "保存期間 (run: 期間を過ぎた申請の個人データと会議録、確定した会議の音声を削除する。"
        "既定は確認のみ)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        go = sub.add_parser("run", help="対象を表示する (--apply で削除する)")
        go.add_argument("--apply", action="store_true", help="実際に削除する")
        go.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        apply = options["apply"]
        report = run(apply=apply)
        meetings = minutes_retention(apply=apply)
        if options["json"]:
            print_json(
                {
                    "applied": apply,
                    "applications": report.purged,
                    "meetings": meetings.purged,
                    "meeting_audio": meetings.audio_deleted,
                }
            )
            return
        verb = "削除しました" if apply else "削除の対象です (--apply で削除します)"
        self.stdout.write(f"申請 {len(report.purged)} 件が{verb}")
        for receipt_number in report.purged:
            self.stdout.write(f"  {receipt_number}")
        self.stdout.write(f"会議録 {len(meetings.purged)} 件が{verb}")
        self.stdout.write(f"確定した会議の音声 {len(meetings.audio_deleted)} 件が{verb}")
