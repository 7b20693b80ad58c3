from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from madoguchi.command import MadoguchiCommand
from madoguchi.intake.actions import load_crl
from madoguchi.intake.revocation import recheck_pending_revocations
from madoguchi.intake.trust import TrustError, fetch


class Command(MadoguchiCommand):
    help = "失効リスト (load: CRL の読込。署名と有効期限を検査する)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("load", help="CRL をファイルまたは URL から読み込む")
        load.add_argument("source", help="ファイルのパスまたは URL")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            crl = load_crl(fetch(options["source"]))
        except (TrustError, OSError) as exc:
            raise CommandError(f"CRLを読み込めませんでした: {exc}") from exc
        next_update = timezone.localtime(crl.next_update).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(
            f"CRL番号 {crl.crl_number} を読み込みました (失効 {crl.revoked.count()} 件、"
            f"次回更新 {next_update})"
        )
        settled = recheck_pending_revocations()
        if settled:
            self.stdout.write(f"確認待ちだった申請 {settled} 件の失効確認を終えました")
