from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import InterfaceError, OperationalError

from madoguchi.applications.tasks import (
    collect_acknowledgements,
    export_portal_updates,
    recheck_pending_revocations,
)
from madoguchi.audit.actions import anchor
from madoguchi.intake.pipeline import import_package
from madoguchi.intake.trust import TrustError, fetch, load_crl
from madoguchi.linking.tasks import hand_over
from madoguchi.relay.management.commands.relay import relay_spool
from madoguchi.relay.spool import Spool

log = logging.getLogger(__name__)


def drain(spool: Spool) -> int:
    """Import every spooled package; a file is removed only after its outcome is committed.

    When the database cannot be reached the pass ends and every file stays for the next;
    any other failure of one file sets that file aside in ``rejected/`` with its reason, so
    it cannot stop the worker on every pass."""
    done = 0
    for spooled in spool.pending():
        try:
            result = import_package(spooled.read(), f"{spooled.name}.zip")
        except (OperationalError, InterfaceError):
            log.exception("worker: database unavailable; %s stays in the spool", spooled.name)
            break
        except Exception as exc:
            log.exception("worker: could not process %s; set aside in rejected/", spooled.name)
            spool.reject(spooled.path, f"取り込めませんでした: {type(exc).__name__}: {exc}")
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
        except Exception:
            # Whatever a source answers (garbage HTTP, a parser's surprise), the loop goes on.
            log.exception("worker: CRL %s not loaded", source)
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
        next_crl_refresh = next_anchor = 0.0
        while not stopping:
            drain(spool)
            steps = (
                ("status exchange", lambda: exchange_statuses(spool)),
                ("hand-over", hand_over),
            )
            for name, step in steps:
                try:
                    step()
                except Exception:
                    log.exception("worker: %s failed; tried again next pass", name)
            if time.monotonic() >= next_crl_refresh:
                refresh_crls()
                next_crl_refresh = time.monotonic() + settings.CRL_REFRESH_SECONDS
            if time.monotonic() >= next_anchor:
                try:
                    anchor()
                except OSError:
                    log.exception("worker: audit anchor not written")
                next_anchor = time.monotonic() + settings.AUDIT_ANCHOR_SECONDS
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
