from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from madoguchi.accounts.demo import PERSONAS, create_demo_staff
from madoguchi.accounts.models import User
from madoguchi.command import MadoguchiCommand
from madoguchi.lib import totp
from madoguchi.procedures.catalog import load_catalog


class Command(MadoguchiCommand):
    help = "デモ自治体の準備 (setup: 手続カタログと職員アカウントの作成)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("setup", help="手続カタログを読み込み、デモ職員を作成する")
        code = sub.add_parser(
            "code", help="デモ職員の現在の確認コード (認証アプリの代わり、デモ専用)"
        )
        code.add_argument(
            "username", choices=[p.username for p in PERSONAS], help="デモ職員のユーザー名"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "code":
            user = User.objects.filter(username=options["username"]).first()
            if user is None or not user.totp_secret:
                raise CommandError(
                    "このユーザーはまだ二要素認証を登録していません (初回ログインで登録します)"
                )
            self.stdout.write(totp.code_at(user.totp_secret, totp.counter_now()))
            return
        load_catalog()
        created = create_demo_staff()
        # Passwords are generated per installation and kept only in the data folder.
        logins = Path(settings.DATA_DIR) / "demo-logins.txt"
        if created:
            fd = os.open(logins, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                for persona in PERSONAS:
                    if persona.username in created:
                        f.write(
                            f"{persona.username}\t{created[persona.username]}\t"
                            f"{persona.display_name}\t{persona.role.label}\n"
                        )
        self.stdout.write(f"デモ職員のログイン情報: {logins}")
