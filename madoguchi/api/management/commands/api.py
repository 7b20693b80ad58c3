from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.accounts.actions import issue_api_token
from madoguchi.accounts.models import User
from madoguchi.api.openapi import schema
from madoguchi.command import MadoguchiCommand
from madoguchi.endpoints import dumped


class Command(MadoguchiCommand):
    help = (
        "REST API (token: 職員の API トークンを発行する。値は一度だけ表示される / "
        "openapi: API の説明 (OpenAPI) を書き出す)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        token = sub.add_parser("token", help="API トークンを発行する")
        token.add_argument("username", help="トークンを使う職員のユーザー名")
        token.add_argument("--name", default="api", help="用途 (例: RPA)")
        described = sub.add_parser("openapi", help="API の説明 (OpenAPI 3.1) を書き出す")
        described.add_argument(
            "--out", type=Path, help="書き出すファイル (例: docs/openapi.json)。なければ標準出力"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "openapi":
            text = dumped(schema())
            if options["out"] is None:
                self.stdout.write(text, ending="")
            else:
                options["out"].write_text(text, encoding="utf-8")
            return
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"職員がいません: {options['username']}")
        self.stdout.write(issue_api_token(user, options["name"], actor=None))
