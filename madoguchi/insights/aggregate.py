"""The daily counts (DailyCount), recounted a day at a time from the applications and the
audit log. The worker recounts the days since it last did (today and yesterday every few
minutes, the whole history on its first run after an upgrade); a day's count reads that
day's rows through their indexes, never the history.

Each pass also counts the open applications of each department now (OpenSnapshot).

What a day holds: the applications received that day (by identification outcome as it
stands when counted), those closed that day (完了・却下・取下げ, with the days from 到達 to 完了),
and the 補正依頼 made that day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone

from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import CLOSED_STATUSES, Status

from .models import DailyCompletion, DailyCount, DailyOutcome, OpenSnapshot, RefreshState
from .queries import count_open

Key = tuple[str, str]  # (procedure id, channel)
CLOSING = {
    Status.COMPLETED: "completed",
    Status.REJECTED: "rejected",
    Status.WITHDRAWN: "withdrawn",
}


def _bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)


@transaction.atomic
def count_day(day: dt.date) -> int:
    """Recount one day; the rows of that day are replaced. Returns how many rows it has."""
    start, end = _bounds(day)
    counts: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    outcomes: dict[tuple[str, str, str], int] = defaultdict(int)
    durations: dict[tuple[str, str, int], int] = defaultdict(int)
    departments: dict[str, int] = {}
    received = (
        Application.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .values_list(
            "procedure__procedure_id", "procedure__department_id", "channel", "identification"
        )
        .annotate(n=Count("id"))
    )
    for procedure_id, department_id, channel, identification, n in received:
        departments[procedure_id] = department_id
        counts[(procedure_id, channel)]["received"] += n
        outcomes[(procedure_id, channel, identification)] += n
    closed = Application.objects.filter(
        status__in=sorted(CLOSED_STATUSES), status_changed_at__gte=start, status_changed_at__lt=end
    ).values_list(
        "procedure__procedure_id", "procedure__department_id", "channel", "status", "submitted_at"
    )
    for procedure_id, department_id, channel, status, submitted_at in closed.iterator():
        departments[procedure_id] = department_id
        counts[(procedure_id, channel)][CLOSING[Status(status)]] += 1
        if status == Status.COMPLETED:
            took = (day - timezone.localdate(submitted_at)).days
            durations[(procedure_id, channel, max(0, took))] += 1
    requested = [
        receipt
        for receipt, extra in AuditEvent.objects.filter(
            action=AuditAction.APPLICATION_STATUS_CHANGED, at__gte=start, at__lt=end
        ).values_list("target_id", "extra")
        if isinstance(extra, dict) and extra.get("to") == Status.CORRECTION_REQUESTED
    ]
    owners = {
        receipt: (procedure_id, department_id, channel)
        for receipt, procedure_id, department_id, channel in Application.objects.filter(
            receipt_number__in=set(requested)
        ).values_list(
            "receipt_number", "procedure__procedure_id", "procedure__department_id", "channel"
        )
    }
    for receipt in requested:
        if receipt in owners:
            procedure_id, department_id, channel = owners[receipt]
            departments[procedure_id] = department_id
            counts[(procedure_id, channel)]["corrections"] += 1
    for model in (DailyCount, DailyOutcome, DailyCompletion):
        model.objects.filter(day=day).delete()
    DailyCount.objects.bulk_create(
        DailyCount(
            day=day,
            procedure_id=procedure_id,
            department_id=departments[procedure_id],
            channel=channel,
            **row,
        )
        for (procedure_id, channel), row in counts.items()
    )
    DailyOutcome.objects.bulk_create(
        DailyOutcome(
            day=day,
            procedure_id=procedure_id,
            department_id=departments[procedure_id],
            channel=channel,
            identification=identification,
            count=n,
        )
        for (procedure_id, channel, identification), n in outcomes.items()
    )
    DailyCompletion.objects.bulk_create(
        DailyCompletion(
            day=day,
            procedure_id=procedure_id,
            department_id=departments[procedure_id],
            channel=channel,
            days=took,
            count=n,
        )
        for (procedure_id, channel, took), n in durations.items()
    )
    return len(counts)


def first_day() -> dt.date | None:
    earliest = Application.objects.aggregate(first=Min("received_at"))["first"]
    return timezone.localdate(earliest) if earliest else None


def refresh(
    today: dt.date | None = None, on_day: Callable[[dt.date, int, int], None] | None = None
) -> int:
    """Count the days from the one before the last counted (or the first application's)
    to today; ``on_day(day, done, total)`` follows the progress. Returns the days counted."""
    today = today or timezone.localdate()
    state, _created = RefreshState.objects.get_or_create(pk=1)
    start = state.counted_through - dt.timedelta(days=1) if state.counted_through else first_day()
    if start is None:
        return 0
    days = [start + dt.timedelta(days=n) for n in range((today - start).days + 1)]
    for done, day in enumerate(days, start=1):
        # Another worker counting the same day at the same moment: its rows stand.
        with contextlib.suppress(IntegrityError):
            count_day(day)
        if on_day is not None:
            on_day(day, done, len(days))
    snapshot_open(today)
    RefreshState.objects.filter(pk=1).update(counted_through=today, refreshed_at=timezone.now())
    return len(days)


def snapshot_open(today: dt.date) -> None:
    """Count each department's open applications now (queries.count_open) into its
    snapshot: the dashboard's 処理中 charts read these rows."""
    now = timezone.now()
    for department_id in Procedure.objects.values_list("department_id", flat=True).distinct():
        counted = count_open(department_id, today)
        _update_or_create_snapshot(
            department_id=department_id,
            defaults={
                "taken_at": now,
                "by_status": counted.by_status,
                "by_age": [list(pair) for pair in counted.by_age],
                "by_assignee": [list(pair) for pair in counted.by_assignee],
                "overdue": counted.overdue,
            },
        )


def _update_or_create_snapshot(department_id: int, defaults: dict[str, object]) -> None:
    """Two workers may take the first snapshot of a department at once: the second updates."""
    try:
        with transaction.atomic():
            OpenSnapshot.objects.update_or_create(department_id=department_id, defaults=defaults)
    except IntegrityError:
        OpenSnapshot.objects.filter(department_id=department_id).update(**defaults)


def recount_all(on_day: Callable[[dt.date, int, int], None] | None = None) -> int:
    """Every day again, from the first application (after a restore, or to check)."""
    RefreshState.objects.filter(pk=1).update(counted_through=None)
    for model in (DailyCount, DailyOutcome, DailyCompletion):
        model.objects.all().delete()
    return refresh(on_day=on_day)
