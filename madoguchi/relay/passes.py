"""The relay's passes (連携サーバ): pull what the portal lists into the spool, post the
申請管理 side's status updates back. No database, no 個人番号: only the portal and the spool."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass

from django.conf import settings

from .portal import PortalClient, PortalError
from .spool import SAFE_NAME, Spool

log = logging.getLogger(__name__)
# After this many failed downloads in a row the pass ends and the relay backs off.
MAX_CONSECUTIVE_FAILURES = 10


@dataclass
class PassResult:
    fetched: int = 0
    failed: int = 0
    complete: bool = True  # the whole listing was read
    waiting_for_key: bool = False  # nothing fetched: the 申請管理 side's key is not published


def pull_once(client: PortalClient, spool: Spool) -> PassResult:
    """Fetch every listed package not fetched before. A failed download is retried on the
    next pass; nothing already spooled is fetched again."""
    result = PassResult()
    if spool.seal_key() is None and not settings.SPOOL_ALLOW_UNSEALED:
        # Nothing is fetched before the 申請管理 side has published the key packages are
        # sealed to (start the worker first): the relay's host never holds a readable one.
        log.warning("relay: the worker has not published its key in the spool yet; waiting")
        result.complete = False
        result.waiting_for_key = True
        return result
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
    return Spool(
        settings.SPOOL_DIR,
        settings.RELAY_HANDOFF_KEY.encode(),
        pin=settings.DATA_DIR / "spool-seal-key.pub",
    )


def record_beat(spool: Spool, *, started_at: float, error: str | None, fetched: int) -> None:
    """The relay's heartbeat, in the spool (it has no database): read on the 申請管理 side by
    `madoguchi status`."""
    spool.beat(
        "relay",
        {
            "instance": f"{socket.gethostname()}:{os.getpid()}",
            "started_at": started_at,
            "beat_at": time.time(),
            "last_error": error or "",
            "fetched": fetched,
            "backlog": {"outbox": spool.waiting()["outbox"]},
        },
    )
