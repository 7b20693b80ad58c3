from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.audit.actions import verify_chain
from madoguchi.audit.models import AuditEvent
from madoguchi.lib.cli import print_json


class Command(BaseCommand):
    help = "監査ログの操作 (verify: 改ざん検査)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="監査ログのハッシュチェーンを検査する")
        verify.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
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
