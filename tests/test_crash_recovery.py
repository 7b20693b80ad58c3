"""Fault injection: kill -9 the relay and the worker at random over 2,000 applications from a
faulty portal; afterwards each 受付番号 is stored exactly once and none is missing."""

from __future__ import annotations

import os
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import psycopg
import pytest

from pittari_sim.generate import generate

COUNT = 2000
DEADLINE_SECONDS = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own: an SQLite file, or a new database on the PostgreSQL server."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    name = f"madoguchi_crash_{secrets.token_hex(4)}"
    admin = dj_database_url.parse(configured)
    conninfo = {
        "dbname": "postgres",
        "user": admin["USER"],
        "host": admin["HOST"],
        "port": admin["PORT"] or 5432,
    }
    with psycopg.connect(**conninfo, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    yield configured.replace("/madoguchi?", f"/{name}?").replace("/madoguchi", f"/{name}", 1)
    with psycopg.connect(**conninfo, autocommit=True) as db:
        db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        with sqlite3.connect(f"file:{config['NAME']}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(
        dbname=config["NAME"], user=config["USER"], host=config["HOST"], port=config["PORT"]
    ) as db:
        return db.execute(sql).fetchall()  # type: ignore[arg-type]


def test_nothing_is_lost_or_doubled_when_relay_and_worker_are_killed(
    tmp_path: Path, database_url: str
):
    rng = random.Random(2026)
    portal = tmp_path / "portal"
    generate(portal, COUNT, seed=11, key_pool=16, unlinked_rate=0.0)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MADOGUCHI_DATA_DIR": str(tmp_path / "data"),
        "MADOGUCHI_PORTAL_URL": f"http://127.0.0.1:{port}",
        "MADOGUCHI_PORTAL_CLIENT_SECRET": "crash-secret",
        "MADOGUCHI_PORTAL_POLL_SECONDS": "1",
        "MADOGUCHI_RELAY_HANDOFF_KEY": "crash-hand-over-key",
        "LOG_LEVEL": "WARNING",
    }
    madoguchi = [sys.executable, "-m", "madoguchi"]

    def run(*args: str) -> None:
        subprocess.run([*madoguchi, *args], env=env, check=True, capture_output=True)

    run("migrate", "--noinput")
    run("procedures", "load")
    run("trust", "add", str(portal / "trust" / "ca.pem"))
    run("crl", "load", str(portal / "trust" / "ca.crl"))
    run("residents", "load", str(portal / "registry" / "links.csv"))

    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pittari_sim.cli",
            "serve",
            "--port",
            str(port),
            "--data",
            str(portal),
            "--client-secret",
            "crash-secret",
            "--faults",
            "latency=0.01,error=0.05,truncate=0.03,duplicate=0.2,reorder=1,token_ttl=5",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    commands = {
        "relay": [*madoguchi, "relay", "run"],
        "worker": [*madoguchi, "worker", "--interval", "0.2"],
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str) -> None:
        processes[name] = subprocess.Popen(
            commands[name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def stored() -> int:
        try:
            return int(query(database_url, "select count(*) from applications_application")[0][0])
        except (sqlite3.Error, psycopg.Error):
            return -1

    kills = 0
    try:
        for name in commands:
            start(name)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while stored() < COUNT:
            assert time.monotonic() < deadline, f"only {stored()} of {COUNT} after the deadline"
            time.sleep(rng.uniform(0.3, 2.5))
            if kills < 40:
                victim = rng.choice(list(commands))
                os.kill(processes[victim].pid, signal.SIGKILL)
                processes[victim].wait()
                kills += 1
                start(victim)
    finally:
        for process in [*processes.values(), sim]:
            process.kill()
            process.wait()

    assert kills >= 5
    receipts = query(
        database_url, "select receipt_number, count(*) from applications_application group by 1"
    )
    assert len(receipts) == COUNT
    assert all(n == 1 for _, n in receipts)
    assert {r for r, _ in receipts} == {p.stem for p in (portal / "packages").glob("*.zip")}
    assert query(database_url, "select count(*) from applications_evidence")[0][0] == COUNT
    assert query(database_url, "select count(*) from intake_quarantinedpackage")[0][0] == 0
