"""What the dashboard shows, department by department: sums of the daily counts for the
period's history, and the open applications (a small, indexed set) for the current state."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Count, Model, Q, QuerySet, Sum
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.applications.models import Application
from madoguchi.applications.queries import ApplicationQuerySet
from madoguchi.lib.kpi import percentile_of_histogram, share
from madoguchi.linking.constants import DeliveryState
from madoguchi.linking.models import Delivery
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import OPEN_STATUSES, Channel, Identification, Status

from .models import DailyCompletion, DailyCount, DailyOutcome, OpenSnapshot

M = TypeVar("M", bound=Model)

GRAINS = ("day", "week", "month")
# Ages of the open applications, in days since 受付: (label, from, to exclusive).
AGE_BANDS = (
    ("7日以内", 0, 8),
    ("8〜14日", 8, 15),
    ("15〜30日", 15, 31),
    ("31〜60日", 31, 61),
    ("61日以上", 61, None),
)


@dataclass(frozen=True)
class Scope:
    """Whose numbers: one department, or (the administrator) every one or a chosen one."""

    department_id: int | None  # None: every department

    @classmethod
    def of(cls, user: User, department_id: int | None = None) -> Scope:
        if user.sees_all_departments:
            return cls(department_id)
        return cls(user.department_id)

    def counts(self, model: type[M]) -> QuerySet[M]:
        rows = model._default_manager.all()
        return rows if self.department_id is None else rows.filter(department_id=self.department_id)

    def applications(self) -> ApplicationQuerySet:
        rows = Application.objects.all()
        return rows if self.department_id is None else rows.of_department(self.department_id)


def period_of(day: dt.date, grain: str) -> dt.date:
    if grain == "month":
        return day.replace(day=1)
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


@dataclass
class Volume:
    """Applications received per period, by channel, and the online share."""

    periods: list[dt.date]
    by_channel: dict[str, list[int]]
    totals: list[int]
    online_share: list[float | None]


def volume(
    scope: Scope, start: dt.date, end: dt.date, grain: str, procedure_id: str = ""
) -> Volume:
    rows = scope.counts(DailyCount).filter(day__gte=start, day__lte=end)
    if procedure_id:
        rows = rows.filter(procedure_id=procedure_id)
    summed: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, channel, n in (
        rows.values_list("day", "channel").annotate(n=Sum("received")).order_by()
    ):
        summed[period_of(day, grain)][channel] += n
    periods = []
    cursor = period_of(start, grain)
    while cursor <= end:
        periods.append(cursor)
        cursor = _next_period(cursor, grain)
    by_channel = {c: [summed[p][c] for p in periods] for c in Channel.values}
    totals = [sum(by_channel[c][i] for c in Channel.values) for i in range(len(periods))]
    return Volume(
        periods=periods,
        by_channel=by_channel,
        totals=totals,
        online_share=[share(by_channel[Channel.ONLINE][i], t) for i, t in enumerate(totals)],
    )


def _next_period(day: dt.date, grain: str) -> dt.date:
    if grain == "month":
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return day + dt.timedelta(days=7 if grain == "week" else 1)


@dataclass
class ProcedureFigures:
    procedure_id: str
    name: str
    received: dict[str, int]
    total: int
    online_share: float | None
    completed: int
    corrections: int
    correction_rate: float | None  # 補正依頼 per 100 received
    median_days: int | None  # 到達 → 完了
    p90_days: int | None


def per_procedure(scope: Scope, start: dt.date, end: dt.date) -> list[ProcedureFigures]:
    period = {"day__gte": start, "day__lte": end}
    received: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    completed: dict[str, int] = defaultdict(int)
    corrections: dict[str, int] = defaultdict(int)
    summed = (
        scope.counts(DailyCount)
        .filter(**period)
        .order_by()
        .values_list("procedure_id", "channel")
        .annotate(r=Sum("received"), c=Sum("completed"), k=Sum("corrections"))
    )
    for procedure_id, channel, n_received, n_completed, n_corrections in summed:
        received[procedure_id][channel] += n_received
        completed[procedure_id] += n_completed
        corrections[procedure_id] += n_corrections
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    for procedure_id, days, n in (
        scope.counts(DailyCompletion)
        .filter(**period)
        .order_by()
        .values_list("procedure_id", "days")
        .annotate(n=Sum("count"))
    ):
        histograms[procedure_id][days] = n
    names = dict(
        Procedure.objects.filter(procedure_id__in=list(received))
        .order_by("procedure_id", "version")
        .values_list("procedure_id", "name")
    )
    figures = []
    for procedure_id in sorted(received, key=lambda p: -sum(received[p].values())):
        total = sum(received[procedure_id].values())
        figures.append(
            ProcedureFigures(
                procedure_id=procedure_id,
                name=names.get(procedure_id, procedure_id),
                received={c: received[procedure_id][c] for c in Channel.values},
                total=total,
                online_share=share(received[procedure_id][Channel.ONLINE], total),
                completed=completed[procedure_id],
                corrections=corrections[procedure_id],
                correction_rate=share(corrections[procedure_id], total),
                median_days=percentile_of_histogram(histograms[procedure_id], 0.5),
                p90_days=percentile_of_histogram(histograms[procedure_id], 0.9),
            )
        )
    return figures


def identification_outcomes(scope: Scope, start: dt.date, end: dt.date) -> dict[str, int]:
    totals = {c: 0 for c in Identification.values}
    summed = (
        scope.counts(DailyOutcome)
        .filter(day__gte=start, day__lte=end)
        .order_by()
        .values_list("identification")
        .annotate(n=Sum("count"))
    )
    for code, n in summed:
        totals[code] = totals.get(code, 0) + n
    return totals


@dataclass
class Backlog:
    """The open applications now: by status, by age, by assignee, and overdue."""

    by_status: dict[str, int]
    by_age: list[tuple[str, int]]
    by_assignee: list[tuple[str, int]]
    overdue: int
    total: int = field(init=False)

    def __post_init__(self) -> None:
        self.total = sum(self.by_status.values())


def count_open(department_id: int, today: dt.date) -> Backlog:
    """The open applications of a department now, counted (the worker's snapshot)."""
    open_ones = Scope(department_id).applications().filter(status__in=sorted(OPEN_STATUSES))
    by_status = {s.value: 0 for s in Status if s in OPEN_STATUSES}
    for status, n in open_ones.order_by().values_list("status").annotate(n=Count("id")):
        by_status[status] = n
    zone = timezone.get_current_timezone()

    def since(days: int) -> dt.datetime:
        return dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tzinfo=zone)

    bands = {}
    for label, low, high in AGE_BANDS:
        condition = Q(received_at__lt=since(low)) if low else Q()
        if high is not None:
            condition &= Q(received_at__gte=since(high))
        bands[label] = Count("id", filter=condition)
    bands["overdue"] = Count("id", filter=Q(due_date__lt=today))
    ages = open_ones.order_by().aggregate(**bands)
    assignees = (
        open_ones.order_by()
        .values_list("assignee__display_name", "assignee__username")
        .annotate(n=Count("id"))
    )
    by_assignee = sorted(
        ((display or username or "未割当", n) for display, username, n in assignees),
        key=lambda pair: -pair[1],
    )
    return Backlog(
        by_status=by_status,
        by_age=[(label, ages[label]) for label, _low, _high in AGE_BANDS],
        by_assignee=by_assignee,
        overdue=ages["overdue"],
    )


def backlog(scope: Scope) -> tuple[Backlog, dt.datetime | None]:
    """The open applications as the worker last counted them, and when (the whole city:
    every department's snapshot added up)."""
    snapshots = OpenSnapshot.objects.all()
    if scope.department_id is not None:
        snapshots = snapshots.filter(department_id=scope.department_id)
    by_status = {s.value: 0 for s in Status if s in OPEN_STATUSES}
    by_age = {label: 0 for label, _low, _high in AGE_BANDS}
    by_assignee: dict[str, int] = defaultdict(int)
    overdue, taken = 0, None
    for snapshot in snapshots:
        for status, n in snapshot.by_status.items():
            by_status[status] = by_status.get(status, 0) + int(n)
        for label, n in snapshot.by_age:
            by_age[label] = by_age.get(label, 0) + int(n)
        for name, n in snapshot.by_assignee:
            by_assignee[name] += int(n)
        overdue += snapshot.overdue
        taken = min(taken, snapshot.taken_at) if taken else snapshot.taken_at
    return (
        Backlog(
            by_status=by_status,
            by_age=list(by_age.items()),
            by_assignee=sorted(by_assignee.items(), key=lambda pair: -pair[1]),
            overdue=overdue,
        ),
        taken,
    )


def handoff_failures(scope: Scope) -> list[tuple[str, int]]:
    """Hand-overs that failed and wait for a clerk, per core system."""
    failed = Delivery.objects.filter(state=DeliveryState.FAILED)
    if scope.department_id is not None:
        failed = failed.filter(application__procedure__department_id=scope.department_id)
    return list(failed.order_by("core_system").values_list("core_system").annotate(n=Count("id")))
