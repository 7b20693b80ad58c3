from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.audit.actions import anchor, verify_chain
from madoguchi.audit.models import AuditEvent
from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json


class Command(MadoguchiCommand):
    help = "監査ログの操作 (verify: 改ざん検査, anchor: 先頭の署名付きチェックポイントを書く)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="監査ログのハッシュチェーンを検査する")
        verify.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        anchor_parser = sub.add_parser(
            "anchor", help="チェーンの先頭を署名付きでアンカーファイルに書く"
        )
        anchor_parser.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "anchor":
            try:
                checkpoint = anchor()
            except OSError as exc:
                raise CommandError(f"アンカーファイルに書けません: {exc}") from exc
            if options["json"]:
                print_json({"anchored": checkpoint})
            elif checkpoint:
                self.stdout.write(f"seq {checkpoint['seq']} をアンカーしました")
            else:
                self.stdout.write("新しい記録はありません")
            return
        problems = verify_chain()
        count = AuditEvent.objects.count()
        if options["json"]:
            print_json({"ok": not problems, "events": count, "problems": problems})
        if problems:
            if not options["json"]:
                for problem in problems:
                    self.stderr.write(problem)
            raise CommandError(f"監査ログに異常があります ({len(problems)} 件)")
        if not options["json"]:
            self.stdout.write(f"監査ログは正常です ({count} 件)")
