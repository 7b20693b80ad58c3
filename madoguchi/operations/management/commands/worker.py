from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.polling import Loop
from madoguchi.linking.tasks import hand_over
from madoguchi.operations.worker import Worker, drain, exchange_statuses
from madoguchi.relay.passes import relay_spool


class Command(MadoguchiCommand):
    help = "申請管理側のワーカー: スプールに届いた申請データを取り込む"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="一度だけ処理して終了する")
        parser.add_argument("--interval", type=float, default=2.0, help="処理の間隔 (秒、既定: 2)")

    def handle(self, *args: Any, **options: Any) -> None:
        spool = relay_spool()
        spool.clean_temporary("json")
        if options["once"]:
            self.stdout.write(f"{drain(spool)} 件を処理しました")
            exchange_statuses(spool)
            hand_over()
            return
        worker = Worker(spool)

        def one_pass() -> float:
            worker.one_pass()
            return float(options["interval"])

        Loop("worker").run(one_pass)
