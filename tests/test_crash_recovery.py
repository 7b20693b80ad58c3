"""Fault injection: kill -9 the relay and the worker at random over 2,000 applications from a
faulty portal; afterwards each 受付番号 is stored exactly once and none is missing."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from pittari_sim.generate import generate
from tests.processes import database_url, free_port, query

pytestmark = pytest.mark.one_pass("postgresql")

__all__ = ["database_url"]  # the fixture, used by name
COUNT = 2000
QUARANTINED = "select reason, detail from intake_quarantinedpackage"
DEADLINE_SECONDS = 300


@pytest.mark.slow
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
        "MADOGUCHI_PORTAL_RETRY_DELAY": "0.02",
        "MADOGUCHI_RELAY_HANDOFF_KEY": "crash-hand-over-key",
        "LOG_LEVEL": "INFO",
    }
    madoguchi = [sys.executable, "-m", "madoguchi"]

    def run(*args: str) -> None:
        done = subprocess.run([*madoguchi, *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"madoguchi {' '.join(args)}: {done.stderr[-2000:]}"

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

    logs = {name: open(tmp_path / f"{name}.log", "ab") for name in commands}  # noqa: SIM115

    def start(name: str) -> None:
        processes[name] = subprocess.Popen(
            commands[name], env=env, stdout=logs[name], stderr=subprocess.STDOUT
        )

    def log_tail(name: str) -> str:
        return (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]

    def stored() -> int:
        try:
            return int(query(database_url, "select count(*) from applications_application")[0][0])
        except (sqlite3.Error, psycopg.Error):
            return -1

    spool = tmp_path / "data" / "spool"
    kills = 0
    try:
        for name in commands:
            start(name)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while stored() < COUNT:
            assert time.monotonic() < deadline, (
                f"only {stored()} of {COUNT} after the deadline\n"
                f"quarantined: {query(database_url, QUARANTINED)}\n"
                f"spool: { {p.name: len(list(p.iterdir())) for p in spool.iterdir()} }\n"
                f"relay: {log_tail('relay')}\nworker: {log_tail('worker')}"
            )
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
        for log in logs.values():
            log.close()

    assert kills >= 5
    receipts = query(
        database_url, "select receipt_number, count(*) from applications_application group by 1"
    )
    assert len(receipts) == COUNT
    assert all(n == 1 for _, n in receipts)
    assert {r for r, _ in receipts} == {p.stem for p in (portal / "packages").glob("*.zip")}
    assert query(database_url, "select count(*) from applications_evidence")[0][0] == COUNT
    assert query(database_url, "select count(*) from intake_quarantinedpackage")[0][0] == 0
