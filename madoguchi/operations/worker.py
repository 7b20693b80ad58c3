"""The worker's passes (申請管理 side): import what the relay spooled, hand status updates to
the relay, keep CRLs fresh, anchor the audit log, hand over to core systems, make the
letters asked for on screen, keep the dashboard's daily counts up to date, put 人事異動 into
effect on their 発令日, transcribe meetings and delete their audio and transcripts on schedule."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from madoguchi.accounts.actions import apply_due_moves
from madoguchi.applications.tasks import (
    collect_acknowledgements,
    export_portal_updates,
    send_arrival_mails,
)
from madoguchi.audit.actions import anchor
from madoguchi.insights.aggregate import refresh as refresh_insights
from madoguchi.intake.actions import IntakePass, import_package, load_crl
from madoguchi.intake.revocation import recheck_pending_revocations
from madoguchi.intake.trust import TrustError, fetch
from madoguchi.lib.polling import Every
from madoguchi.linking.tasks import hand_over
from madoguchi.minutes.actions import run_retention as minutes_retention
from madoguchi.minutes.tasks import transcribe_waiting, translate_waiting
from madoguchi.notices.actions import make_waiting_letters
from madoguchi.notices.print_runs import make_waiting_prints
from madoguchi.relay.spool import Spool, public_key_of

log = logging.getLogger(__name__)


def drain(spool: Spool) -> int:
    """Import every spooled package; a file is removed only after its outcome is committed.

    When the database cannot be reached the pass ends and every file stays for the next;
    any other failure of one file sets that file aside in ``rejected/`` with its reason, so
    it cannot stop the worker on every pass. The relay seals what it spools to the key
    published here (relay/spool.py); only this side opens it."""
    spool.publish_seal_key(public_key_of(settings.SPOOL_PRIVATE_KEY))
    done = 0
    run = IntakePass()
    pending = spool.pending()
    # Workers sharing one spool each go through it in an order of their own: they divide
    # the work instead of racing for the same files; one another has done is skipped at
    # the cost of a failed open (and a file taken twice is still one application).
    random.Random(os.getpid()).shuffle(pending)  # noqa: S311 (an order, not a secret)
    for spooled in pending:
        try:
            data = spooled.open(settings.SPOOL_PRIVATE_KEY)
            result = import_package(
                data, f"{spooled.name}.zip", run, fetched_at=spooled.written_at()
            )
        except FileNotFoundError:
            continue  # another worker took it
        except (OperationalError, InterfaceError):
            log.exception("worker: database unavailable; %s stays in the spool", spooled.name)
            break
        except Exception as exc:
            log.exception("worker: could not process %s; set aside in rejected/", spooled.name)
            spool.reject(spooled.path, f"取り込めませんでした: {type(exc).__name__}: {exc}")
            continue
        log.info("worker: %s → %s %s", spooled.name, result.outcome.value, result.reason or "")
        # Another worker may have imported (a duplicate, by 受付番号) and removed it first.
        spooled.path.unlink(missing_ok=True)
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


def refresh_planner_statistics() -> None:
    """SQLite keeps no statistics by itself; without them its planner sorts a department's
    whole inbox rather than walk the inbox index in order (16 ms against 0.3 ms a page at
    20,000 applications). ANALYZE, bounded to a sample of each index (analysis_limit), at
    the worker's start and every six hours. PostgreSQL's autovacuum does this by itself."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute("ANALYZE")


# The 会議録 steps, which a host may leave to a worker of their own (speech to text keeps the
# cores busy for seconds at a time): `madoguchi worker --minutes without|only`.
MINUTES_STEPS = frozenset({"minutes", "minutes english", "minutes retention"})
MINUTES_CHOICES = ("with", "without", "only")


class Worker:
    """One pass of everything, and what is due less often than every pass; ``minutes``:
    the 会議録 steps with the rest (with), left to another worker (without), or alone
    (only)."""

    def __init__(self, spool: Spool, minutes: str = "with") -> None:
        if minutes not in MINUTES_CHOICES:
            raise ValueError(minutes)
        self.spool, self.minutes = spool, minutes
        self.crl_refresh = Every(settings.CRL_REFRESH_SECONDS)
        self.audit_anchor = Every(settings.AUDIT_ANCHOR_SECONDS)
        self.arrival_mail = Every(60)
        self.insights = Every(settings.INSIGHTS_REFRESH_SECONDS)
        self.minutes_retention = Every(300)
        self.statistics = Every(6 * 3600)

    def one_pass(self) -> list[str]:
        """Every step, each on its own (one failing does not stop the others); returns what
        failed, for the heartbeat (`madoguchi status`)."""
        steps: list[tuple[str, Callable[[], object], Every | None]] = [
            ("intake", lambda: drain(self.spool), None),
            ("status exchange", lambda: exchange_statuses(self.spool), None),
            ("hand-over", hand_over, None),
            ("letters", make_waiting_letters, None),
            ("day prints", make_waiting_prints, None),
            # 会議録: the audio of a meeting in order as it comes, then English asked for.
            ("minutes", transcribe_waiting, None),
            ("minutes english", translate_waiting, None),
            # The audio of 確定 minutes, and transcripts past their retention period.
            ("minutes retention", lambda: minutes_retention(apply=True), self.minutes_retention),
            # 人事異動 whose 発令日 has come, for those who sign in by token or not today.
            ("staff moves", apply_due_moves, None),
            ("arrival mail", send_arrival_mails, self.arrival_mail),
            ("daily counts", refresh_insights, self.insights),
            ("CRL refresh", refresh_crls, self.crl_refresh),
            ("audit anchor", anchor, self.audit_anchor),
            ("planner statistics", refresh_planner_statistics, self.statistics),
        ]
        # A connection the database dropped (a restart, a failover) is replaced before the
        # pass, not reused for ever (never inside a transaction: a test's, say).
        if not connection.in_atomic_block:
            close_old_connections()
        if self.minutes != "with":
            only = self.minutes == "only"
            steps = [step for step in steps if (step[0] in MINUTES_STEPS) == only]
        failed = []
        for name, step, every in steps:
            if every is not None and not every.due():
                continue
            try:
                step()
            except Exception as exc:
                log.exception("worker: %s failed; tried again on a later pass", name)
                failed.append(f"{name}: {type(exc).__name__}: {exc}"[:500])
        return failed
