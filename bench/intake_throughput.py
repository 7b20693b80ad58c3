"""Intake: packages from the spool to stored (③-2/③-3/③-4: verify, identify, store), against
the floor (bench/floors/intake.py) on the same packages and database, interleaved.

    bench/run intake            SQLite, then PostgreSQL (a private server started for it)
    python bench/intake_throughput.py --count 500 [--rounds 3] [--database-url URL]

Generation, trust and registry loading are not timed; timed is the worker's drain() of a
spool holding COUNT signed packages, then the floor over the same packages, ROUNDS times;
the figure is the median.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Figure, database_name, median, peak_mib  # noqa: E402
from bench.setup import start_django, trust_portal  # noqa: E402


def floor_connection(work: Path) -> tuple[Any, str]:
    """A DB-API connection to the database the benchmark uses, and its placeholder."""
    from django.db import connection

    if connection.vendor == "sqlite":

        def connect_sqlite() -> sqlite3.Connection:
            db = sqlite3.connect(work / "floor.sqlite3")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            return db

        return connect_sqlite, "?"
    import psycopg

    params = connection.get_connection_params()
    return (lambda: psycopg.connect(**params)), "%s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = start_django(args.database_url)

    from bench.floors import intake as floor
    from madoguchi.applications.models import Application
    from madoguchi.intake.models import RevokedSerial
    from madoguchi.operations.worker import drain
    from madoguchi.relay.passes import relay_spool
    from pittari_sim.generate import generate, load_or_create_ca

    portal = work / "portal"
    generated = generate(portal, args.count * args.rounds, seed=1, key_pool=32)
    trust_portal(portal)
    ca_pem = load_or_create_ca(portal).cert_pem()
    revoked = set(RevokedSerial.objects.values_list("serial", flat=True))
    connect, placeholder = floor_connection(work)
    spool = relay_spool()

    ours, floors = [], []
    for n in range(args.rounds):
        batch = generated[n * args.count : (n + 1) * args.count]
        for item in batch:
            spool.put(item.receipt_number, item.path.read_bytes())
        started = time.perf_counter()
        processed = drain(spool)
        ours.append((time.perf_counter() - started) / args.count * 1000)
        assert processed == args.count
        packages = [item.path.read_bytes() for item in batch]
        seconds = floor.run(packages, ca_pem, revoked, connect, placeholder)
        floors.append(seconds / args.count * 1000)
    assert Application.objects.count() == args.count * args.rounds

    per_package = median(ours)
    Figure(
        benchmark="intake",
        what=f"{args.count} packages × {args.rounds} rounds",
        database=database_name(),
        unit="ms/package",
        madoguchi=per_package,
        floor=median(floors),
        target="≤ ×2",
        peak_mib=peak_mib(),
        note=f"{1000 / per_package:.0f} packages/s (floor {1000 / median(floors):.0f}/s)",
    ).emit()


if __name__ == "__main__":
    main()
