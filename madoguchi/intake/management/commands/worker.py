from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from madoguchi.applications.tasks import (
    collect_acknowledgements,
    export_portal_updates,
    recheck_pending_revocations,
)
from madoguchi.intake.pipeline import import_package
from madoguchi.intake.trust import TrustError, fetch, load_crl
from madoguchi.linking.tasks import hand_over
from madoguchi.relay.management.commands.relay import relay_spool
from madoguchi.relay.spool import Spool

log = logging.getLogger(__name__)


def drain(spool: Spool) -> int:
    """Import every spooled package; a file is removed only after its outcome is committed."""
    done = 0
    for spooled in spool.pending():
        try:
            result = import_package(spooled.read(), f"{spooled.name}.zip")
        except Exception:
            log.exception("worker: could not process %s; it stays in the spool", spooled.name)
            continue
        log.info("worker: %s → %s %s", spooled.name, result.outcome.value, result.reason or "")
        spooled.path.unlink()
        done += 1
    return done


def exchange_statuses(spool: Spool) -> None:
    """Hand status updates to the relay, and take note of those it delivered."""
    collect_acknowledgements(spool)
    export_portal_updates(spool)


def refresh_crls() -> None:
    """Load each configured CRL source, then settle what was held for want of one."""
    for source in settings.CRL_SOURCES:
        try:
            load_crl(fetch(source.strip()))
        except (TrustError, OSError) as exc:
            log.warning("worker: CRL %s not loaded: %s", source, exc)
    settled = recheck_pending_revocations()
    if settled:
        log.info("worker: %d application(s) held for revocation settled", settled)


class Command(BaseCommand):
    help = "申請管理側のワーカー: スプールに届いた申請データを取り込む"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="一度だけ処理して終了する")
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args: Any, **options: Any) -> None:
        spool = relay_spool()
        spool.clean_temporary("json")
        if options["once"]:
            self.stdout.write(f"{drain(spool)} 件を処理しました")
            exchange_statuses(spool)
            hand_over()
            return
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        next_crl_refresh = 0.0
        while not stopping:
            drain(spool)
            exchange_statuses(spool)
            try:
                hand_over()
            except Exception:
                log.exception("worker: hand-over pass failed; it is tried again next pass")
            if time.monotonic() >= next_crl_refresh:
                refresh_crls()
                next_crl_refresh = time.monotonic() + settings.CRL_REFRESH_SECONDS
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
