"""The inbox at a city's scale: 1,000,000 applications on PostgreSQL.

    bench/run inbox [COUNT]       a private PostgreSQL server is started for it
    python bench/inbox.py --count 1000000 --database-url URL [--repeat 60]

Setup (not timed): COUNT applications over three years, across the catalog's procedures
(weighted as residents file them), 200,000 residents, names from the simulator's name list
(23 surnames, so one surname matches about 4 % of all rows: a worst case for a name search),
then VACUUM ANALYZE as autovacuum would. Timed: the server time of each request (Django's test
client in process: middleware, session, queries, template), REPEAT times each:

- first page of the inbox of a 子育て支援課 reviewer;
- a page deep in the list (the cursor of the row half-way down);
- the same with the 期限超過 filter;
- a search by surname, and by full name (kanji and kana);
- a rare name: three applications of 鬼瓦　権三 among them, found by its surname and by its
  given name (two characters inside a name: the bigram index, migration 0026).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import timed  # noqa: E402
from bench.setup import signed_in_reviewer, start_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    os.environ["ALLOWED_HOSTS"] = "testserver"
    start_django(args.database_url)
    from django.db import connection
    from django.utils import timezone

    from bench.machine import describe
    from madoguchi.applications.models import Application
    from madoguchi.applications.queries import ORDERS, _encode
    from madoguchi.lib.text import normalize_for_match
    from madoguchi.procedures.models import Procedure
    from pittari_sim.generate import WEIGHTS
    from pittari_sim.people import make_person

    rng = random.Random(1)
    today = dt.date(2026, 11, 26)
    people = [make_person(rng, age_range=(20, 90), today=today) for _ in range(5000)]
    procedures = list(Procedure.objects.filter(version="2026.2"))
    rare = dataclasses.replace(
        people[1], surname="鬼瓦", surname_kana="オニガワラ", given="権三", given_kana="ゴンゾウ"
    )
    weights = [WEIGHTS.get(p.procedure_id, 1) for p in procedures]
    now = timezone.now()

    print(f"loading {args.count:,} applications …", flush=True)
    started = time.perf_counter()
    raw = connection.cursor().connection
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY residents_resident (resident_code, atena_number, name, name_kana, birth_date,"
            " sex, address, previous_name, previous_address, household_number, relationship,"
            " postal_code, updated_at) FROM STDIN"
        ) as copy:
            for n in range(200_000):
                person = people[n % len(people)]
                copy.write_row(
                    (f"{n:011d}", f"{n:010d}", person.name, person.kana, person.birth_date,
                     person.sex, person.address, "", "", f"{n:010d}", "世帯主", "", now)
                )  # fmt: skip
        cursor.execute("SELECT min(id) FROM residents_resident")
        first_resident = cursor.fetchone()[0]
        columns = (
            "receipt_number, procedure_id, status, submitted_at, received_at, status_changed_at,"
            " submitter, municipality_code, form, form_errors, attachments, applicant_name,"
            " applicant_kana, resident_id, identification, identification_notes, due_date,"
            " name_key, kana_key, correction_of, channel"
        )
        with cursor.copy(f"COPY applications_application ({columns}) FROM STDIN") as copy:
            for n in range(args.count):
                procedure = rng.choices(procedures, weights)[0]
                person = (
                    rare
                    if n in (7, args.count // 2, args.count - 7)
                    else people[rng.randrange(len(people))]
                )
                received = now - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
                age = (now - received).days
                if age > 60:
                    status = rng.choices(["completed", "rejected", "withdrawn"], [90, 5, 5])[0]
                else:
                    status = rng.choice(
                        ["received", "in_review", "correction_requested", "ready_for_handoff"]
                    )
                form = json.dumps(
                    {"applicant_name": person.name, "applicant_kana": person.kana},
                    ensure_ascii=False,
                )
                copy.write_row(
                    (f"9{n:015d}", procedure.pk, status, received, received, received, "self",
                     "131016", form, "{}", "[]", person.name, person.kana,
                     first_resident + rng.randrange(200_000), "identified", "[]",
                     timezone.localdate(received) + dt.timedelta(days=procedure.processing_days),
                     normalize_for_match(person.name), normalize_for_match(person.kana), "",
                     "online")
                )  # fmt: skip
    raw.commit()
    # As autovacuum would have done by the time a city has a million applications.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)

    reviewer, client = signed_in_reviewer()

    mine = Application.objects.visible_to(reviewer)
    total = mine.count()
    halfway = mine.order_by("-received_at", "-id")[total // 2]
    deep = _encode(halfway, ORDERS["new"])
    someone = people[0]
    cases = {
        "inbox, first page": {},
        "inbox, a page half-way down": {"after": deep},
        "overdue, first page": {"overdue": "on"},
        f"name search '{someone.surname}' (surname)": {"q": someone.surname},
        f"name search '{someone.name}' (full name)": {"q": someone.name},
        f"kana search '{someone.kana}'": {"q": someone.kana},
        "rare surname '鬼瓦' (3 of them)": {"q": "鬼瓦"},
        "rare given name '権三' (2 characters inside)": {"q": "権三"},
    }
    print(
        f"{args.count:,} applications, {total:,} in the reviewer's department; "
        f"{args.repeat} requests each, server time:"
    )

    def inbox(params: dict[str, str]) -> None:
        response = client.get("/applications/", params)
        assert response.status_code == 200, response.status_code
        assert b"data-receipt-number" in response.content

    for label, params in cases.items():
        p50, p95 = timed(functools.partial(inbox, params), args.repeat)
        print(f"  {label:<44} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")

    # What the same two-character search read before migration 0026: the pattern over
    # every row (a two-character pattern has no trigram for pg_trgm to use).
    def scanned() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM applications_application"
                " WHERE name_key LIKE %s OR kana_key LIKE %s LIMIT 51",
                ["%権三%", "%権三%"],
            )
            assert len(cursor.fetchall()) == 3

    p50, p95 = timed(scanned, max(3, args.repeat // 10))
    print(
        f"  {'(before: the pattern over the table, SQL)':<44} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms"
    )
    number = connection.cursor().connection.info.server_version
    print(f"PostgreSQL {number // 10000}.{number % 100}; machine: {describe()}")


if __name__ == "__main__":
    main()
