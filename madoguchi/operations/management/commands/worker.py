from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.db import DatabaseError
from django.utils import timezone

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.polling import Loop
from madoguchi.linking.tasks import hand_over
from madoguchi.operations.heartbeat import record_worker_beat
from madoguchi.operations.worker import MINUTES_CHOICES, Worker, drain, exchange_statuses
from madoguchi.relay.passes import relay_spool

log = logging.getLogger(__name__)


class Command(MadoguchiCommand):
    help = "申請管理側のワーカー: スプールに届いた申請データを取り込む"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="一度だけ処理して終了する")
        parser.add_argument("--interval", type=float, default=2.0, help="処理の間隔 (秒、既定: 2)")
        parser.add_argument(
            "--minutes",
            choices=MINUTES_CHOICES,
            default=settings.WORKER_MINUTES,
            help="会議録の文字起こし: with (ほかの処理と交互)、"
            "without (別のワーカーに任せる)、only (文字起こしだけ)。"
            "既定は MADOGUCHI_WORKER_MINUTES (with)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        spool = relay_spool()
        spool.clean_temporary("json")
        if options["once"]:
            self.stdout.write(f"{drain(spool)} 件を処理しました")
            exchange_statuses(spool)
            hand_over()
            return
        worker = Worker(spool, minutes=options["minutes"])
        started_at = timezone.now()

        def one_pass() -> float:
            failed = worker.one_pass()
            try:
                record_worker_beat(spool, started_at, failed)
            except DatabaseError:
                log.warning("worker: heartbeat not recorded (database unavailable)")
            return float(options["interval"])

        Loop("worker").run(one_pass)
