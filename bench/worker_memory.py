"""The worker's peak memory over a large spool: `madoguchi worker --once` in its own process
(as the service runs it) over COUNT spooled packages; its maximum resident set size.

    python bench/worker_memory.py [--count 2000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.export_throughput import run_process  # noqa: E402
from bench.report import Figure, database_name  # noqa: E402
from bench.setup import start_django, trust_portal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = start_django(args.database_url)
    from django.db import connection

    from madoguchi.applications.models import Application
    from madoguchi.relay.passes import relay_spool
    from pittari_sim.generate import generate

    portal = work / "portal"
    generated = generate(portal, args.count, seed=7, key_pool=32)
    trust_portal(portal)
    spool = relay_spool()
    for item in generated:
        spool.put(item.receipt_number, item.path.read_bytes())
    database = database_name()
    connection.close()
    seconds, peak = run_process([sys.executable, "-m", "madoguchi", "worker", "--once"])
    assert Application.objects.count() == args.count
    Figure(
        benchmark="worker",
        what=f"peak memory, {args.count:,} packages in one pass",
        database=database,
        unit="MiB",
        madoguchi=peak,
        floor=None,
        target="< 150 MiB",
        peak_mib=peak,
        note=f"{args.count / seconds:.0f} packages/s with start-up",
    ).emit()


if __name__ == "__main__":
    main()
