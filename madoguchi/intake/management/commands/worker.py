from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from madoguchi.intake.pipeline import import_package
from madoguchi.relay.spool import Spool

log = logging.getLogger(__name__)


def drain(spool: Spool) -> int:
    """Import every spooled package; a file is removed only after its outcome is committed."""
    done = 0
    for path in spool.pending():
        try:
            result = import_package(path.read_bytes(), path.name)
        except Exception:
            log.exception("worker: could not process %s; it stays in the spool", path.name)
            continue
        log.info("worker: %s → %s %s", path.name, result.outcome.value, result.reason or "")
        path.unlink()
        done += 1
    return done


class Command(BaseCommand):
    help = "申請管理側のワーカー: スプールに届いた申請データを取り込む"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="一度だけ処理して終了する")
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args: Any, **options: Any) -> None:
        spool = Spool(settings.SPOOL_DIR)
        if options["once"]:
            self.stdout.write(f"{drain(spool)} 件を処理しました")
            return
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            drain(spool)
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
