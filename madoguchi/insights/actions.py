"""Loading the マイナンバーカード交付状況 table (the only write of the insights besides the
daily counts, which are derived)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.card_issuance import Row, decode, read_table

from .models import CardIssuance


@dataclass(frozen=True)
class CardLoad:
    rows: list[Row]

    @property
    def base_dates(self) -> list[dt.date]:
        return sorted({r.base_date for r in self.rows})

    @property
    def mismatches(self) -> list[Row]:
        return [r for r in self.rows if not r.matches]


@transaction.atomic
def load_card_issuance(
    data: bytes, *, source: str, base_date: dt.date | None = None, actor: User | None = None
) -> CardLoad:
    """Read the table (TableError in Japanese when it is not one), replace what was loaded
    for its 基準日, keep the other 基準日. Rows whose printed rate differs from the counts are
    kept with both rates and reported."""
    rows = read_table(decode(data), base_date)
    load = CardLoad(rows)
    CardIssuance.objects.filter(base_date__in=load.base_dates).delete()
    seen: dict[tuple[dt.date, str, str, str], Row] = {}
    for row in rows:  # a row printed twice (a top-10 table repeats a city) counts once
        seen.setdefault((row.base_date, row.kind, row.prefecture, row.municipality), row)
    CardIssuance.objects.bulk_create(
        CardIssuance(
            base_date=row.base_date,
            kind=row.kind,
            prefecture=row.prefecture,
            municipality=row.municipality,
            population=row.population,
            issued=row.issued,
            printed_rate=row.printed_rate,
            computed_rate=row.computed_rate,
        )
        for row in seen.values()
    )
    record(
        AuditAction.CARD_ISSUANCE_LOADED,
        actor=actor,
        target_type="card_issuance",
        target_id=source[:64],
        extra={
            "base_dates": [d.isoformat() for d in load.base_dates],
            "rows": len(rows),
            "mismatches": [r.line for r in load.mismatches],
        },
    )
    return load
