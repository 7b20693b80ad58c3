from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "職員画面の Web サーバを起動する (waitress)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from madoguchi.wsgi import application

        self.stdout.write(f"http://{options['host']}:{options['port']}/ で待ち受けます")
        serve(application, host=options["host"], port=options["port"], threads=options["threads"])
