from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.polling import Loop
from madoguchi.relay.passes import pull_once, push_statuses, record_beat, relay_spool
from madoguchi.relay.portal import PortalClient, PortalError

log = logging.getLogger(__name__)
WAITING_FOR_KEY = (
    "申請管理側の公開鍵がスプールにまだありません。ワーカーを先に起動してください "
    "(それまで申請データを取得しません)"
)


class Command(MadoguchiCommand):
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
            if result.waiting_for_key:
                raise CommandError(WAITING_FOR_KEY)
            sent = push_statuses(client, spool)
            self.stdout.write(
                f"{result.fetched} 件を取得しました (失敗 {result.failed} 件)、"
                f"処理状況 {sent} 件を返信しました"
            )
            if not result.complete:
                raise CommandError("ポータルとの通信が途中で失敗しました。再実行してください")
            return
        wait = float(settings.PORTAL_POLL_SECONDS)
        started_at = time.time()

        def one_pass() -> float:
            nonlocal wait
            result = pull_once(client, spool)
            push_statuses(client, spool)
            if result.fetched:
                log.info("relay: %d package(s) spooled", result.fetched)
            error = None if result.complete else "ポータルとの通信に失敗しました"
            if result.waiting_for_key:
                # The worker publishes its key as it starts: look again soon, no back-off.
                error = WAITING_FOR_KEY
                wait = float(settings.PORTAL_POLL_SECONDS)
            elif result.complete or result.fetched:
                wait = float(settings.PORTAL_POLL_SECONDS)
            else:
                wait = min(wait * 2, 300.0)
                log.warning("relay: portal unavailable, retrying in %.0fs", wait)
            record_beat(spool, started_at=started_at, error=error, fetched=result.fetched)
            return wait

        Loop("relay").run(one_pass)
