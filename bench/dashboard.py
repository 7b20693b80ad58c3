"""The manager's dashboard over a city's history: 10,000,000 applications on PostgreSQL.

    bench/run dashboard [COUNT] [REPEAT]     a private PostgreSQL server is started for it
    python bench/dashboard.py --count 10000000 --database-url URL [--repeat 30]

Setup (not timed as a chart): COUNT applications over three years inserted by the server
(INSERT … SELECT generate_series, every index in place), across the catalog's procedures and
the three channels; those of the last 60 days open, the older ones closed; then VACUUM
ANALYZE. The daily counts are then made by the worker's own code (insights.aggregate), and
that backfill is timed: it is what the first worker pass after an upgrade does.

Timed, REPEAT times each: every chart's query of the dashboard for a department manager
(the last 12 months by month; the 処理中 charts read the worker's snapshot of the open
applications, whose counting is timed as a worker figure), and the whole page as the
server renders it (Django's test client: middleware, session, queries, template). The
floor: the bare SQL sum of the daily counts of the volume chart. Target (issue #20): p95 <
100 ms a chart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Figure, peak_mib, timed  # noqa: E402
from bench.setup import start_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    os.environ["ALLOWED_HOSTS"] = "testserver"
    start_django(args.database_url)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from bench.machine import describe
    from madoguchi.accounts.models import Department, User
    from madoguchi.insights import queries
    from madoguchi.insights.aggregate import count_day, recount_all
    from madoguchi.insights.models import DailyCount
    from madoguchi.procedures.models import Procedure
    from madoguchi.vocabulary import Role

    procedures = [p.pk for p in Procedure.objects.filter(version="2026.2").order_by("pk")]
    print(f"inserting {args.count:,} applications …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # g spreads the rows over three years, newest first; the last 60 days stay open.
        cursor.execute(
            """
            INSERT INTO applications_application (
                receipt_number, procedure_id, status, submitted_at, received_at,
                status_changed_at, submitter, municipality_code, form, form_errors, attachments,
                applicant_name, applicant_kana, identification, identification_notes, due_date,
                name_key, kana_key, correction_of, channel)
            SELECT 'B' || lpad(g::text, 15, '0'),
                   (%(procedures)s::bigint[])
                       [1 + (g * 7919) %% cardinality(%(procedures)s::bigint[])],
                   CASE WHEN age < interval '60 days'
                        THEN (ARRAY['received', 'in_review', 'correction_requested',
                                    'ready_for_handoff'])[1 + g %% 4]
                        ELSE (ARRAY['completed', 'completed', 'completed', 'completed',
                                    'completed', 'completed', 'completed', 'completed',
                                    'rejected', 'withdrawn'])[1 + g %% 10] END,
                   now() - age, now() - age,
                   CASE WHEN age < interval '60 days' THEN now() - age
                        ELSE now() - age + interval '12 days' END,
                   'self', '131016', '{}', '{}', '[]', '', '',
                   (ARRAY['needs_review', 'unidentified'])[1 + (g / 7) %% 2],
                   '[]', (now() - age)::date + 30, '', '', '',
                   (ARRAY['online', 'online', 'online', 'counter', 'mail'])[1 + (g / 3) %% 5]
            FROM (SELECT g, (g::float8 / %(count)s * 1095) * interval '1 day' AS age
                  FROM generate_series(1::bigint, %(count)s) AS g) AS rows
            """,
            {"procedures": procedures, "count": args.count},
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    inserted = time.perf_counter() - started
    print(f"inserted in {inserted:.0f} s; counting the days …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    days = recount_all()
    backfill = time.perf_counter() - started
    rows = DailyCount.objects.count()
    print(f"{days} days, {rows:,} daily rows in {backfill:.0f} s", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE insights_dailycount")
    today = timezone.localdate()
    one_day = timed(lambda: count_day(today - dt.timedelta(days=1)), 5)
    kosodate = Department.objects.get(code="kosodate").pk
    snapshot = timed(lambda: queries.count_open(kosodate, today), 5)

    department = Department.objects.get(code="kosodate")
    manager = User.objects.create_user(
        "bench-kacho", password="x" * 16, role=Role.MANAGER, department=department
    )
    scope = queries.Scope.of(manager)
    end = today
    start = (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    charts: dict[str, Callable[[], object]] = {
        "volume by channel": lambda: queries.volume(scope, start, end, "month"),
        "per procedure": lambda: queries.per_procedure(scope, start, end),
        "identification": lambda: queries.identification_outcomes(scope, start, end),
        "backlog (status, age, assignee)": lambda: queries.backlog(scope),
        "hand-over failures": lambda: queries.handoff_failures(scope),
    }

    def floor() -> object:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT date_trunc('month', day), channel, sum(received)"
                " FROM insights_dailycount WHERE department_id = %s AND day BETWEEN %s AND %s"
                " GROUP BY 1, 2",
                [department.pk, start, end],
            )
            return cursor.fetchall()

    client = Client()
    client.force_login(manager)
    number = connection.cursor().connection.info.server_version
    database = f"PostgreSQL {number // 10000}.{number % 100}"
    floor_p50, floor_p95 = timed(floor, args.repeat)
    note = f"{args.count:,} applications, {rows:,} daily rows"
    for label, work in charts.items():
        p50, p95 = timed(work, args.repeat)
        Figure(
            "dashboard",
            f"{label} p95",
            database,
            "ms/chart",
            p95,
            floor_p95 if label == "volume by channel" else None,
            "p95 < 100 ms",
            peak_mib(),
            note,
        ).emit()
    page = timed(lambda: client.get("/insights/"), args.repeat)
    Figure("dashboard", "whole page p95", database, "ms/page", page[1], None,
           "p95 < 100 ms a chart", peak_mib(), note).emit()  # fmt: skip
    Figure("dashboard", "worker: one day recounted", database, "ms/day", one_day[0], None,
           "—", peak_mib(), note).emit()  # fmt: skip
    Figure("dashboard", "worker: one department's open ones counted", database, "ms",
           snapshot[0], None, "—", peak_mib(), note).emit()  # fmt: skip
    history = f"{days} days; inserting the history took {inserted:.0f} s"
    Figure("dashboard", "first pass: every day counted", database, "s", backfill, None,
           "—", peak_mib(), history).emit()  # fmt: skip
    print(f"machine: {describe()}", file=sys.stderr)


if __name__ == "__main__":
    main()
