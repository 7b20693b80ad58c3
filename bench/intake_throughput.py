"""Packages per second from spool to stored (③-2/③-3/③-4: verify, identify, store).

    bench/run intake            SQLite, then PostgreSQL (a private server started for it)
    python bench/intake_throughput.py --count 500 [--database-url URL]

Generation, trust and registry loading are not timed; the timed part is the worker's
drain() of a spool holding COUNT signed packages.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.setup import start_django, trust_portal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = start_django(args.database_url)
    from django.db import connection

    from bench.machine import describe
    from madoguchi.applications.models import Application
    from madoguchi.operations.worker import drain
    from madoguchi.relay.passes import relay_spool
    from pittari_sim.generate import generate

    portal = work / "portal"
    generated = generate(portal, args.count, seed=1, key_pool=32)
    trust_portal(portal)
    spool = relay_spool()
    for item in generated:
        spool.put(item.receipt_number, item.path.read_bytes())

    started = time.perf_counter()
    processed = drain(spool)
    elapsed = time.perf_counter() - started
    assert processed == args.count == Application.objects.count()

    engine = connection.vendor
    if engine == "sqlite":
        version = ".".join(map(str, connection.Database.sqlite_version_info))
    else:
        number = connection.cursor().connection.info.server_version
        version = f"{number // 10000}.{number % 100}"
    print(
        f"intake throughput on {engine} {version}: {args.count} packages in {elapsed:.1f} s "
        f"= {args.count / elapsed:.0f} packages/s ({elapsed / args.count * 1000:.1f} ms each)"
    )
    print(f"machine: {describe()}")


if __name__ == "__main__":
    main()
