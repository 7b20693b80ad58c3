"""The database server restarts in the middle of the work: the worker takes up again with a
new connection (200 packages stored, none twice, none quarantined for the restart), and the
web answers a Japanese 503 page for the seconds it is away, not a traceback."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections

from conftest import sign_in
from tests.processes import database_url, query, spooled_installation

__all__ = ["database_url"]  # the fixture, used by name
COUNT = 200


def pg_ctl(*args: str) -> None:
    """The test command's own PostgreSQL server (scripts/lib.sh), found from DATABASE_URL."""
    socket_dir = urllib.parse.parse_qs(urllib.parse.urlsplit(os.environ["DATABASE_URL"]).query)[
        "host"
    ][0]
    data = Path(socket_dir).parent / "pg"
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    command = [binary, "-D", str(data), "-l", str(data.parent / "pg.log"), *args]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    # The server it starts keeps what it inherits open: no pipes to wait on.
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120
    )


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="restarts the test command's PostgreSQL server",
)
def test_the_worker_survives_a_database_restart_during_intake(tmp_path, database_url):
    env, spool = spooled_installation(tmp_path, database_url, COUNT, seed=51)

    def stored() -> int:
        try:
            return int(query(database_url, "select count(*) from applications_application")[0][0])
        except Exception:  # the server is restarting
            return -1

    log_file = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "madoguchi", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: tracebacks of the outage fill a pipe nobody reads, and block.
        stderr=log_file.open("w"),
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while stored() < 40:
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        pg_ctl("restart", "-m", "fast", "-w")
        connections.close_all()  # this process's own connection went with the restart
        deadline = time.monotonic() + 240
        while stored() < COUNT and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        log = log_file.read_text()
    assert stored() == COUNT, f"{stored()} of {COUNT} after the restart:\n{log[-4000:]}"
    assert "database unavailable" in log or "server closed" in log or "terminating" in log
    distinct = "select count(distinct receipt_number) from applications_application"
    assert query(database_url, distinct)[0][0] == COUNT
    assert query(database_url, "select count(*) from intake_quarantinedpackage")[0][0] == 0
    assert list(spool.incoming.iterdir()) == []


@pytest.mark.django_db
def test_the_web_answers_a_japanese_503_while_the_database_is_away(client, counter_clerk):
    sign_in(client, counter_clerk)
    client.raise_request_exception = False

    def away(*args: object) -> None:
        raise OperationalError("the database system is shutting down")

    with connection.execute_wrapper(away):
        answer = client.get("/applications/")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "10"
    page = answer.content.decode()
    assert "ただいまデータベースに接続できません" in page and "Traceback" not in page
    assert "data-keep-drafts" in page  # what the clerk typed is put back on the way back
    assert client.get("/applications/").status_code == 200  # and back when it is
