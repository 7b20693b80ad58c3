from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json
from madoguchi.operations.heartbeat import as_json, healthy, report
from madoguchi.relay.passes import relay_spool


class Command(MadoguchiCommand):
    help = "稼働状況 (データベース・ワーカー・連携サーバ)。止まっているか失敗していれば終了コード 1"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        parts = report(relay_spool())
        if options["json"]:
            print_json(as_json(parts))
        else:
            for part in parts:
                backlog = " ".join(f"{what}={n}" for what, n in part.waiting)
                self.stdout.write(
                    "\t".join(
                        x
                        for x in (
                            part.label,
                            part.state,
                            part.beat_at or "—",
                            part.instance,
                            f"滞留: {backlog}" if backlog else "",
                            part.detail.replace("\n", " / "),
                        )
                        if x
                    )
                )
        if not healthy(parts):
            raise CommandError("止まっているか失敗している部分があります")
