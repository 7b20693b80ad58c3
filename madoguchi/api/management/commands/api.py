from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.accounts.actions import issue_api_token
from madoguchi.accounts.models import User
from madoguchi.command import MadoguchiCommand


class Command(MadoguchiCommand):
    help = "REST API (token: 職員の API トークンを発行する。値は一度だけ表示される)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        token = sub.add_parser("token", help="API トークンを発行する")
        token.add_argument("username", help="トークンを使う職員のユーザー名")
        token.add_argument("--name", default="api", help="用途 (例: RPA)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"職員がいません: {options['username']}")
        self.stdout.write(issue_api_token(user, options["name"], actor=None))
