"""Packages per second from spool to stored (③-2/③-3/③-4: verify, identify, store).

    bench/run intake            SQLite, then PostgreSQL (a private server started for it)
    python bench/intake_throughput.py --count 500 [--database-url URL]

Generation, trust and registry loading are not timed; the timed part is the worker's
drain() of a spool holding COUNT signed packages.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="madoguchi-bench-"))
    os.environ["MADOGUCHI_DATA_DIR"] = str(work / "data")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.machine import describe
    from madoguchi.applications.models import Application
    from madoguchi.intake.management.commands.worker import drain
    from madoguchi.intake.trust import add_trust_anchor, load_crl
    from madoguchi.procedures.catalog import load_catalog
    from madoguchi.relay.management.commands.relay import relay_spool
    from madoguchi.residents.loader import load_links
    from pittari_sim.generate import generate, load_or_create_ca

    call_command("migrate", verbosity=0)
    load_catalog()
    portal = work / "portal"
    generated = generate(portal, args.count, seed=1, key_pool=32)
    ca = load_or_create_ca(portal)
    add_trust_anchor(ca.cert_pem())
    load_crl((portal / "trust" / "ca.crl").read_bytes())
    load_links(portal / "registry" / "links.csv")
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
