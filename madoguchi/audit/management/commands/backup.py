from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.audit.actions import verify_chain
from madoguchi.audit.backup import BackupError, create, restore
from madoguchi.command import MadoguchiCommand


class Command(MadoguchiCommand):
    help = (
        "バックアップ (create: 作成、restore: 復元。復元の前に Web・ワーカー・連携サーバを止める)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("create", help="データベースのバックアップを作る").add_argument(
            "file", type=Path, help="書き出すバックアップファイル"
        )
        sub.add_parser("restore", help="バックアップから復元する").add_argument(
            "file", type=Path, help="復元するバックアップファイル"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            if options["subcommand"] == "create":
                create(path)
                self.stdout.write(f"バックアップを作成しました: {path}")
                return
            restore(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        problems = verify_chain()
        if problems:
            raise CommandError("復元しましたが、監査ログの検査で異常が見つかりました")
        self.stdout.write(f"復元しました: {path} (監査ログは正常です)")
