"""Workers scale out: two `madoguchi worker` processes on one database and one spool share
the intake with no traceback, no duplicate and nothing quarantined."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import database_url, query, spooled_installation

pytestmark = pytest.mark.one_pass("postgresql")

__all__ = ["database_url"]  # the fixture, used by name
COUNT = 60


def test_two_workers_share_the_intake_with_no_duplicate(tmp_path: Path, database_url: str):
    env, spool = spooled_installation(tmp_path, database_url, COUNT, seed=31)

    # Logs to files, not pipes: a pipe nobody reads fills up and blocks its writer.
    log_files = [tmp_path / f"worker-{n}.log" for n in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "madoguchi", "worker", "--interval", "0.2"],
            env=env,
            stderr=log.open("w"),
        )
        for log in log_files
    ]
    try:
        deadline = time.monotonic() + 240
        while query(database_url, "select count(*) from applications_application")[0][0] < COUNT:
            assert all(w.poll() is None for w in workers), "a worker stopped"
            assert time.monotonic() < deadline, "not every package imported in 240 s"
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
    logs = [log.read_text() for log in log_files]
    assert query(database_url, "select count(*) from intake_quarantinedpackage")[0][0] == 0
    stored = query(
        database_url, "select count(distinct receipt_number) from applications_application"
    )
    assert stored[0][0] == COUNT
    for log in logs:
        assert "Traceback" not in log, log[-3000:]
        assert "→ accepted" in log  # each worker took part
    assert list(spool.incoming.iterdir()) == []
