from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.accounts.actions import reset_second_factor
from madoguchi.accounts.models import User
from madoguchi.command import MadoguchiCommand


class Command(MadoguchiCommand):
    help = "職員アカウントの操作 (reset-second-factor: 二要素認証をリセットする)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        reset = sub.add_parser(
            "reset-second-factor",
            help="二要素認証の鍵とロックを消す (次のログインで登録し直す。監査記録あり)",
        )
        reset.add_argument("username", help="ユーザー名")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=User.normalize_username(options["username"])).first()
        if user is None:
            raise CommandError(f"職員がいません: {options['username']}")
        reset_second_factor(user, actor=None)
        self.stdout.write(
            f"{user.username} の二要素認証をリセットしました (次のログインで登録し直します)"
        )
