"""Staff pages against their floors (bench/floors/pages.py: outside Django's stack, a WSGI
callable doing one session lookup, the page's query by the best plan and plain HTML), each in
process: madoguchi through Django's test client, the floor with a WSGI environ.

    python bench/pages.py [--applications 2000] [--repeat 40] [--views 3000] [--database-url URL]

Setup (not timed): signed applications through intake, copied to APPLICATIONS rows; a
子育て支援課 reviewer. Timed, REPEAT times each, median: the inbox's first page, a search by
surname, one application's detail page; then VIEWS more views of that application are
recorded and its detail page is timed again (it should not grow with its history).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Figure, database_name, peak_mib, timed  # noqa: E402
from bench.setup import (  # noqa: E402
    copy_applications,
    signed_in_reviewer,
    start_django,
    trust_portal,
)


def seed(work: Path, count: int) -> None:
    """Applications of every procedure through intake, then copied (with their search
    columns) to ``count`` rows spread over the last 60 days."""
    import datetime as dt

    from django.utils import timezone

    from madoguchi.intake.actions import IntakePass, import_package
    from pittari_sim.generate import generate

    portal = work / "portal"
    generated = generate(portal, min(count, 200), seed=5, key_pool=16)
    trust_portal(portal)
    run = IntakePass()
    for item in generated:
        import_package(item.path.read_bytes(), item.path.name, run)
    now = timezone.now()
    copy_applications(
        count, "8", received_at=lambda n: now - dt.timedelta(minutes=n * 37 % (60 * 24 * 60))
    )
    # The statistics a running installation has: its worker's (SQLite), autovacuum's.
    from django.db import connection

    from madoguchi.operations.worker import refresh_planner_statistics

    refresh_planner_statistics()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def p50(work: Callable[[], object], repeat: int) -> float:
    return timed(work, repeat)[0]


def own_connection(connection: Any) -> Any:
    """A DB-API connection of the floor's own to the database Django uses."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.connect(config["NAME"])
    import psycopg

    options = config.get("OPTIONS", {})
    return psycopg.connect(
        dbname=config["NAME"],
        host=config["HOST"] or options.get("host"),
        port=config["PORT"] or options.get("port"),
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--views", type=int, default=3000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ["ALLOWED_HOSTS"] = "testserver"
    work = start_django(args.database_url)
    from django.db import connection

    from bench.floors.pages import BareSite, call
    from madoguchi.applications.actions.reads import record_view
    from madoguchi.applications.models import Application
    from madoguchi.lib.text import normalize_for_match

    seed(work, args.applications)
    reviewer, client = signed_in_reviewer()
    mine = Application.objects.visible_to(reviewer)
    procedure_ids = sorted(set(mine.values_list("procedure_id", flat=True)))
    sample = mine.filter(evidence__isnull=False).exclude(applicant_name="").first()
    assert sample is not None
    surname = sample.applicant_name.split("\u3000")[0]
    key = normalize_for_match(surname)
    procedures = ",".join(map(str, procedure_ids))
    name_range = {"low": key, "high": key[:-1] + chr(ord(key[-1]) + 1)}
    database = database_name()

    def page(path: str, params: dict[str, str] | None = None) -> Callable[[], object]:
        def get() -> object:
            response = client.get(path, params or {})
            assert response.status_code == 200, (path, response.status_code)
            return response

        return get

    site = BareSite(connection.vendor, functools.partial(own_connection, connection))
    session_key = client.cookies["sessionid"].value

    def floor(path: str, params: dict[str, str] | None = None) -> Callable[[], object]:
        return functools.partial(call, site, path, params or {}, session_key)

    detail_path = f"/applications/{sample.receipt_number}/"
    floor_detail = floor(f"/detail/{sample.receipt_number}")
    cases = [
        (
            "inbox first page",
            page("/applications/"),
            floor("/inbox", {"procedures": procedures}),
        ),
        (
            f"name search '{surname}'",
            page("/applications/", {"q": surname}),
            floor("/inbox", {"procedures": procedures, **name_range}),
        ),
        ("detail page", page(detail_path), floor_detail),
    ]
    results = []
    for what, ours, bare_page in cases:
        ours()  # warm: templates compiled, connections open
        bare_page()
        results.append((what, p50(ours, args.repeat), p50(bare_page, args.repeat)))
    for _ in range(args.views):
        record_view(sample, reviewer)
    results.append(
        (
            f"detail page after {args.views:,} more views",
            p50(page(detail_path), args.repeat),
            p50(floor_detail, args.repeat),
        )
    )
    for what, mine_ms, floor_ms in results:
        Figure(
            benchmark="pages",
            what=what,
            database=database,
            unit="ms",
            madoguchi=mine_ms,
            floor=floor_ms,
            target="≤ ×3" if what.startswith("detail") else "≤ ×2",
            peak_mib=peak_mib(),
        ).emit()


if __name__ == "__main__":
    main()
