"""Every benchmark, one table: figure, madoguchi, its floor in the same run, the ratio, the
target, peak memory, and the machine. `madoguchi bench [--quick]` runs this through
bench/run (which starts a private PostgreSQL server for the second database).

    python bench/suite.py [--quick] [--database-url URL] [--skip-load]

Each benchmark runs in a process of its own (its own Django, its own data folder) and
reports its figures as FIGURE lines; everything else it prints goes to standard error.
Benchmarks never fail a build: a slow figure is a number in the table, not an error.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.machine import describe  # noqa: E402
from bench.report import Figure, table  # noqa: E402

# (script, full arguments, --quick arguments)
BENCHMARKS = [
    (
        "intake_throughput.py",
        ["--count", "500", "--rounds", "3"],
        ["--count", "30", "--rounds", "1"],
    ),
    (
        "pages.py",
        ["--applications", "2000", "--repeat", "40", "--views", "3000"],
        ["--applications", "120", "--repeat", "3", "--views", "30"],
    ),
    (
        "export_throughput.py",
        ["--count", "100000", "--rounds", "3"],
        ["--count", "200", "--rounds", "1"],
    ),
    ("worker_memory.py", ["--count", "2000"], ["--count", "30"]),
    ("workers.py", ["--count", "400"], ["--count", "20"]),
    ("letters.py", ["--count", "1900"], ["--count", "50"]),
    ("minutes.py", ["--seconds", "60"], ["--seconds", "5"]),
]
# What many municipalities cost on one machine (共同利用): processes' memory and start-up,
# which do not depend on the database engine; run with SQLite only.
FLEET = ("fleet.py", ["--sizes", "1,5,20"], ["--sizes", "1,2"])
LOAD = (
    "load.py",
    ["--seconds", "300", "--clerks", "50"],
    ["--seconds", "3", "--clerks", "2", "--applications", "20"],
)


def run(script: str, arguments: list[str]) -> list[Figure]:
    """One benchmark's figures; its other output is passed on to standard error."""
    process = subprocess.run(
        [sys.executable, str(HERE / script), *arguments],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    figures = []
    for line in process.stdout.splitlines():
        if line.startswith("FIGURE "):
            figures.append(Figure(**json.loads(line.removeprefix("FIGURE "))))
        else:
            print(line, file=sys.stderr)
    if process.returncode != 0:
        print(f"bench: {script} failed (exit {process.returncode})", file=sys.stderr)
    return figures


def fresh_database(url: str, name: str) -> str:
    """A new, empty database on the server URL names (each benchmark migrates its own)."""
    import urllib.parse

    import psycopg

    parts = urllib.parse.urlparse(url)
    # Through the server's maintenance database: the one URL names may not exist yet.
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that each runs")
    parser.add_argument("--database-url", default=None, help="run on this database (else SQLite)")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--json", action="store_true", help="the figures as one JSON document")
    args = parser.parse_args()
    chosen = list(BENCHMARKS) + ([] if args.database_url else [FLEET])
    chosen += [] if args.skip_load or args.database_url else [LOAD]
    figures: list[Figure] = []
    for script, full, quick in chosen:
        database = []
        if args.database_url:
            name = "bench_" + script.removesuffix(".py")
            database = ["--database-url", fresh_database(args.database_url, name)]
        print(f"bench: {script} …", file=sys.stderr, flush=True)
        figures += run(script, (quick if args.quick else full) + database)
    if args.json:
        print(json.dumps({"machine": describe(), "figures": [f.__dict__ for f in figures]}))
    else:
        print(table(figures, ratios=not args.quick))
        if args.quick:
            print("\n--quick: small sizes, to see that each benchmark runs; no ratio is printed")
        print(f"\nmachine: {describe()}")
    return 0 if len(figures) >= len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
