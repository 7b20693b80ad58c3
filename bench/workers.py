"""Workers scale out: COUNT spooled packages imported by one `madoguchi worker --once`, then
another COUNT by two at once on the same database and spool (as two services, or two
hosts, run them). The figure is the wall-clock cost per package; the note, the speed-up.

    python bench/workers.py [--count 400] [--database-url URL]

On SQLite two workers share one writer lock, so expect little; PostgreSQL is where a
second worker pays (each package's checks run in parallel, only its insert is serialised).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Figure, database_name, peak_mib  # noqa: E402
from bench.setup import start_django, trust_portal  # noqa: E402


def drain_with(workers: int) -> float:
    """Seconds until ``workers`` processes, started together, have each finished a pass."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "madoguchi", "worker", "--once"], stdout=subprocess.DEVNULL
        )
        for _ in range(workers)
    ]
    for process in processes:
        if process.wait() != 0:
            raise SystemExit("madoguchi worker --once failed")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = start_django(args.database_url)
    from django.conf import settings
    from django.db import connection

    from madoguchi.applications.models import Application
    from madoguchi.relay.passes import relay_spool
    from madoguchi.relay.spool import public_key_of
    from pittari_sim.generate import generate

    portal = work / "portal"
    generated = generate(portal, 2 * args.count, seed=17, key_pool=32)
    trust_portal(portal)
    spool = relay_spool()
    spool.publish_seal_key(public_key_of(settings.SPOOL_PRIVATE_KEY))
    database = database_name()
    costs = {}
    for workers, batch in ((1, generated[: args.count]), (2, generated[args.count :])):
        for item in batch:
            spool.put(item.receipt_number, item.path.read_bytes())
        connection.close()
        costs[workers] = drain_with(workers) * 1000 / args.count
    assert Application.objects.count() == 2 * args.count
    for workers in (1, 2):
        Figure(
            benchmark="workers",
            what=f"{workers} worker{'s' if workers > 1 else ''}, {args.count:,} packages",
            database=database,
            unit="ms/package",
            madoguchi=costs[workers],
            floor=None,
            target="2 > 1 on PostgreSQL",
            peak_mib=peak_mib(),
            note=(
                f"×{costs[1] / costs[2]:.2f} the speed of one worker"
                if workers == 2
                else "start-up included"
            ),
        ).emit()


if __name__ == "__main__":
    main()
