from __future__ import annotations

import json
import logging
import signal
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.relay.portal import PortalClient, PortalError
from madoguchi.relay.spool import SAFE_NAME, Spool

log = logging.getLogger(__name__)
# After this many failed downloads in a row the pass ends and the relay backs off.
MAX_CONSECUTIVE_FAILURES = 10


@dataclass
class PassResult:
    fetched: int = 0
    failed: int = 0
    complete: bool = True  # the whole listing was read


def pull_once(client: PortalClient, spool: Spool) -> PassResult:
    """Fetch every listed package not fetched before. A failed download is retried on the
    next pass; nothing already spooled is fetched again."""
    result = PassResult()
    consecutive = 0
    try:
        for listed in client.list_applications():
            if not SAFE_NAME.fullmatch(listed.receipt_number):
                # Not a receipt number we can name a file by: report it, never fetch it.
                log.error("relay: refused listing entry %r", listed.receipt_number[:60])
                result.failed += 1
                continue
            if spool.was_fetched(listed.receipt_number):
                continue
            try:
                spool.put(listed.receipt_number, client.get_package(listed))
            except PortalError as exc:
                log.warning("relay: %s", exc)
                result.failed += 1
                consecutive += 1
                if consecutive >= MAX_CONSECUTIVE_FAILURES:
                    result.complete = False
                    return result
                continue
            consecutive = 0
            result.fetched += 1
    except PortalError as exc:
        log.warning("relay: listing interrupted: %s", exc)
        result.complete = False
    return result


def push_statuses(client: PortalClient, spool: Spool) -> int:
    """Post the 申請管理 side's status updates to the portal, oldest first, until one fails."""
    done = 0
    for update in spool.outgoing():
        try:
            body = json.loads(update.read())
            fields = [str(body[k]) for k in ("receipt_number", "status", "message", "ref")]
        except (ValueError, KeyError, TypeError) as exc:
            log.error("relay: status update %s unreadable (%s); set aside", update.name, exc)
            spool.reject(update.path, f"処理状況として読めません: {exc}")
            continue
        try:
            client.post_status(*fields)
        except PortalError as exc:
            log.warning("relay: status update %s not delivered yet: %s", update.name, exc)
            break
        spool.mark_sent(update)
        done += 1
    return done


def relay_spool() -> Spool:
    return Spool(settings.SPOOL_DIR, settings.RELAY_HANDOFF_KEY.encode())


class Command(BaseCommand):
    help = "連携サーバ (run: ポータルから申請データを取得してスプールへ渡し、処理状況を返す)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        run = sub.add_parser("run", help="ポータルとの取得・返信を行う (既定では繰り返す)")
        run.add_argument("--once", action="store_true", help="一度だけ行って終了する")
        run.add_argument("--portal", default=None, help="ポータル API の URL")

    def handle(self, *args: Any, **options: Any) -> None:
        # The relay holds no database connection: it only talks to the portal and the spool.
        try:
            client = PortalClient(
                options["portal"] or settings.PORTAL_URL,
                settings.PORTAL_CLIENT_ID,
                settings.PORTAL_CLIENT_SECRET,
                retry_delay=settings.PORTAL_RETRY_DELAY,
            )
        except PortalError as exc:
            raise CommandError(f"ポータルの設定が正しくありません: {exc}") from exc
        spool = relay_spool()
        spool.clean_temporary("zip")
        if options["once"]:
            result = pull_once(client, spool)
            sent = push_statuses(client, spool)
            self.stdout.write(
                f"{result.fetched} 件を取得しました (失敗 {result.failed} 件)、"
                f"処理状況 {sent} 件を返信しました"
            )
            if not result.complete:
                raise CommandError("ポータルとの通信が途中で失敗しました。再実行してください")
            return
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        wait = float(settings.PORTAL_POLL_SECONDS)
        while not stopping:
            result = pull_once(client, spool)
            push_statuses(client, spool)
            if result.fetched:
                log.info("relay: %d package(s) spooled", result.fetched)
            if result.complete or result.fetched:
                wait = float(settings.PORTAL_POLL_SECONDS)
            else:
                wait = min(wait * 2, 300.0)
                log.warning("relay: portal unavailable, retrying in %.0fs", wait)
            deadline = time.monotonic() + wait
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
