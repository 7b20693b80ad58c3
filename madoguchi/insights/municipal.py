"""共同利用: each municipality's daily counts out of its own installation, and into the
prefecture's (the 都道府県's DX staff compare the municipalities they support).

The file holds counts only — per day, procedure and channel: received and completed, and
the days each completion took — no name, no 受付番号, no staff; its municipality code and
name say whose. Loading a municipality's file again replaces what it said before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from madoguchi.lib.card_issuance import place_of
from madoguchi.lib.codes import is_valid_municipality_code
from madoguchi.lib.kpi import percentile_of_histogram, share
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import Channel

from .models import (
    CardIssuance,
    DailyCompletion,
    DailyCount,
    MunicipalityCompletion,
    MunicipalityCounts,
    MunicipalityDay,
    RefreshState,
)

FORMAT = "madoguchi-counts/1"


class CountsError(ValueError):
    """A counts file that cannot be loaded, said in Japanese."""


def export_counts(start: dt.date | None = None) -> dict[str, Any]:
    """This installation's daily counts (from ``start``), summed over its departments."""
    counts = DailyCount.objects.all()
    completions = DailyCompletion.objects.all()
    if start:
        counts, completions = counts.filter(day__gte=start), completions.filter(day__gte=start)
    state = RefreshState.objects.first()
    days = (
        counts.values("day", "procedure_id", "channel")
        .annotate(received=Sum("received"), completed=Sum("completed"))
        .order_by("day", "procedure_id", "channel")
    )
    took = (
        completions.values("day", "procedure_id", "days")
        .annotate(count=Sum("count"))
        .order_by("day", "procedure_id", "days")
    )
    rows = [{**row, "day": row["day"].isoformat()} for row in days]
    ids = sorted({row["procedure_id"] for row in rows})
    return {
        "format": FORMAT,
        "municipality": {"code": settings.MUNICIPALITY_CODE, "name": settings.MUNICIPALITY_NAME},
        "counted_through": (
            state.counted_through.isoformat() if state and state.counted_through else None
        ),
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "procedures": {pid: p.name for pid, p in Procedure.current(ids).items()},
        "days": rows,
        "completions": [{**row, "day": row["day"].isoformat()} for row in took],
    }


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CountsError(f"{where}: 日付が正しくありません ({value!r})") from None


def _count(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CountsError(f"{where}: 件数が正しくありません ({value!r})")
    return value


def load_counts(data: bytes) -> MunicipalityCounts:
    """One municipality's file, checked whole before anything is written; its earlier
    counts replaced in one transaction."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CountsError(f"JSON として読めません: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CountsError("集計ファイルではありません (madoguchi insights export-counts の出力)")
    town = document.get("municipality") or {}
    code, name = str(town.get("code", "")), str(town.get("name", "")).strip()
    if not is_valid_municipality_code(code) or not name:
        raise CountsError(f"団体コードか団体名が正しくありません ({code!r} {name!r})")
    channels = set(Channel.values)
    days, completions = [], []
    for number, row in enumerate(document.get("days", []), start=1):
        where = f"days {number} 行目"
        if row.get("channel") not in channels:
            raise CountsError(f"{where}: 受付経路が正しくありません ({row.get('channel')!r})")
        days.append(
            MunicipalityDay(
                day=_date(row.get("day"), where),
                procedure_id=str(row.get("procedure_id", ""))[:80],
                channel=row["channel"],
                received=_count(row.get("received"), where),
                completed=_count(row.get("completed"), where),
            )
        )
    for number, row in enumerate(document.get("completions", []), start=1):
        where = f"completions {number} 行目"
        completions.append(
            MunicipalityCompletion(
                day=_date(row.get("day"), where),
                procedure_id=str(row.get("procedure_id", ""))[:80],
                days=_count(row.get("days"), where),
                count=_count(row.get("count"), where),
            )
        )
    through = document.get("counted_through")
    counted_through = _date(through, "counted_through") if through else None
    try:
        exported_at = dt.datetime.fromisoformat(str(document.get("exported_at")))
    except ValueError:
        raise CountsError(
            f"exported_at: 日時が正しくありません ({document.get('exported_at')!r})"
        ) from None
    names = document.get("procedures") or {}
    with transaction.atomic():
        MunicipalityCounts.objects.filter(code=code).delete()
        municipality = MunicipalityCounts.objects.create(
            code=code,
            name=name,
            counted_through=counted_through,
            exported_at=exported_at,
            sha256=hashlib.sha256(data).hexdigest(),
            procedure_names={str(k): str(v) for k, v in names.items()},
        )
        for row in days:
            row.municipality = municipality
        for done in completions:
            done.municipality = municipality
        MunicipalityDay.objects.bulk_create(days, batch_size=2000)
        MunicipalityCompletion.objects.bulk_create(completions, batch_size=2000)
    return municipality


@dataclass
class Line:
    """One municipality (or one of its procedures, or the total) over the period."""

    code: str
    name: str
    received: int = 0
    online: int = 0
    completed: int = 0
    took: dict[int, int] = field(default_factory=dict)
    counted_through: dt.date | None = None
    card_rate: float | None = None

    @property
    def online_share(self) -> float | None:
        return share(self.online, self.received)

    @property
    def median_days(self) -> int | None:
        return percentile_of_histogram(self.took, 0.5)

    def add(self, other: Line) -> None:
        self.received += other.received
        self.online += other.online
        self.completed += other.completed
        for days, n in other.took.items():
            self.took[days] = self.took.get(days, 0) + n

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "received": self.received,
            "online": self.online,
            "online_share": self.online_share,
            "completed": self.completed,
            "median_days": self.median_days,
            "counted_through": self.counted_through.isoformat() if self.counted_through else None,
            "card_rate": self.card_rate,
        }


@dataclass
class PrefectureView:
    municipalities: list[Line]
    procedures: dict[str, list[Line]]  # procedure name → a line per municipality
    total: Line
    card_base_date: dt.date | None


def prefecture_view(start: dt.date, end: dt.date) -> PrefectureView:
    """Per municipality and per procedure over [start, end]: 受付, オンライン率, 完了 and the
    median days to 完了; the total is their sum (each file counted once)."""
    towns = {m.pk: m for m in MunicipalityCounts.objects.all()}
    lines = {pk: Line(m.code, m.name, counted_through=m.counted_through) for pk, m in towns.items()}
    by_procedure: dict[tuple[int, str], Line] = {}

    def line_of(pk: int, procedure_id: str) -> Line:
        key = (pk, procedure_id)
        if key not in by_procedure:
            by_procedure[key] = Line(towns[pk].code, towns[pk].name)
        return by_procedure[key]

    period = {"day__gte": start, "day__lte": end}
    for row in MunicipalityDay.objects.filter(**period).values(
        "municipality_id", "procedure_id", "channel", "received", "completed"
    ):
        online = row["received"] if row["channel"] == Channel.ONLINE else 0
        one = Line("", "", row["received"], online, row["completed"])
        line_of(row["municipality_id"], row["procedure_id"]).add(one)
    for pk, procedure_id, days, n in MunicipalityCompletion.objects.filter(**period).values_list(
        "municipality_id", "procedure_id", "days", "count"
    ):
        line_of(pk, procedure_id).add(Line("", "", took={days: n}))
    names = {pid: p.name for pid, p in Procedure.current().items()}
    procedures: dict[str, list[Line]] = defaultdict(list)
    for (pk, procedure_id), line in sorted(
        by_procedure.items(), key=lambda item: (item[0][1], towns[item[0][0]].code)
    ):
        lines[pk].add(line)
        name = names.get(procedure_id) or towns[pk].procedure_names.get(procedure_id)
        procedures[name or procedure_id].append(line)
    base_date = _card_rates(list(lines.values()))
    total = Line("", "計")
    for line in lines.values():
        total.add(line)
    ordered = sorted(lines.values(), key=lambda line: line.code)
    return PrefectureView(ordered, dict(procedures), total, base_date)


def _card_rates(lines: list[Line]) -> dt.date | None:
    """The マイナンバーカード交付率 of each municipality at the newest 基準日 loaded, matched
    by prefecture and name (the table names municipalities, not codes); a table without a
    prefecture column (one prefecture's own) by name."""
    newest = CardIssuance.objects.order_by("-base_date").values_list("base_date", flat=True)
    base_date = newest.first()
    if base_date is None:
        return None
    rates = {
        (prefecture, municipality): float(rate)
        for prefecture, municipality, rate in CardIssuance.objects.filter(base_date=base_date)
        .exclude(municipality="")
        .values_list("prefecture", "municipality", "computed_rate")
    }
    for line in lines:
        prefecture, name = place_of(line.code, line.name)
        line.card_rate = rates.get((prefecture, name), rates.get(("", name)))
    return base_date
