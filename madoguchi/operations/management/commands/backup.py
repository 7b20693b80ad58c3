from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.audit.actions import verify_chain
from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json
from madoguchi.operations.backup import create, restore
from madoguchi.operations.database_copy import BackupError


class Command(MadoguchiCommand):
    help = (
        "バックアップ (create: 作成、restore: 復元。復元の前に Web・ワーカー・連携サーバを止める)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="操作")
        made = sub.add_parser(
            "create", help="バックアップを作る (データベース・監査アンカー・通知書・設定ファイル)"
        )
        made.add_argument("file", type=Path, help="書き出すバックアップファイル")
        made.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        back = sub.add_parser("restore", help="バックアップから復元する")
        back.add_argument("file", type=Path, help="復元するバックアップファイル")
        back.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            if options["subcommand"] == "create":
                manifest = create(path)
                if options["json"]:
                    print_json({"file": str(path), **manifest})
                else:
                    self.stdout.write(
                        f"バックアップを作成しました: {path} ({len(manifest['files'])} ファイル)"
                    )
                return
            report = restore(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        problems = verify_chain()
        if options["json"]:
            print_json({**asdict(report), "audit_problems": problems})
        else:
            self.stdout.write(
                f"復元しました: {path} (バックアップ作成 {report.created_at or '不明'}、"
                f"申請 {report.applications} 件)"
            )
            if report.refetch:
                self.stdout.write(
                    f"バックアップの後に届いた {len(report.refetch)} 件は、連携サーバが"
                    "ポータルから取得し直します"
                )
            if report.config_copy:
                self.stdout.write(f"バックアップ時の設定ファイル: {report.config_copy}")
        if problems:
            raise CommandError(
                "復元しましたが、監査ログの検査で異常が見つかりました:\n" + "\n".join(problems)
            )
