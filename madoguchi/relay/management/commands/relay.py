from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.relay.portal import PortalClient, PortalError
from madoguchi.relay.spool import Spool

log = logging.getLogger(__name__)


def pull_once(client: PortalClient, spool: Spool) -> int:
    """Fetch every listed package not fetched before; returns how many were spooled."""
    fetched = 0
    for listed in client.list_applications():
        if spool.was_fetched(listed.receipt_number):
            continue
        spool.put(listed.receipt_number, client.get_package(listed))
        fetched += 1
    return fetched


class Command(BaseCommand):
    help = "連携サーバ (run: ポータルから申請データを取得してスプールへ渡す)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        run = sub.add_parser("run", help="ポータルから取得する (既定では定期的に繰り返す)")
        run.add_argument("--once", action="store_true", help="一度だけ取得して終了する")
        run.add_argument("--portal", default=None, help="ポータル API の URL")

    def handle(self, *args: Any, **options: Any) -> None:
        # The relay holds no database connection: it only talks to the portal and the spool.
        client = PortalClient(
            options["portal"] or settings.PORTAL_URL,
            settings.PORTAL_CLIENT_ID,
            settings.PORTAL_CLIENT_SECRET,
        )
        spool = Spool(settings.SPOOL_DIR)
        if options["once"]:
            try:
                count = pull_once(client, spool)
            except PortalError as exc:
                raise CommandError(f"ポータルから取得できませんでした: {exc}") from exc
            self.stdout.write(f"{count} 件を取得しました")
            return
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        backoff = settings.PORTAL_POLL_SECONDS
        while not stopping:
            try:
                count = pull_once(client, spool)
                if count:
                    log.info("relay: %d package(s) spooled", count)
                backoff = settings.PORTAL_POLL_SECONDS
            except PortalError as exc:
                backoff = min(backoff * 2, 300)
                log.warning("relay: portal error, retrying in %ss: %s", backoff, exc)
            deadline = time.monotonic() + backoff
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
