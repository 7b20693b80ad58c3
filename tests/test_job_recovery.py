"""A worker killed in the middle of a job (SIGKILL, as the OOM killer or a power cut does):
a new worker takes the job up again once its lease has run out, and the job is done exactly
once — 300 letters, one PDF, one 発送簿, none sent twice."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pittari_sim.generate import generate
from tests.processes import database_url, madoguchi, query, set_up

pytestmark = pytest.mark.one_pass("sqlite")

__all__ = ["database_url"]  # the fixture, used by name
COUNT = 300
ASK_FOR_LETTERS = """
import datetime as dt, django
django.setup()
from madoguchi.notices.models import LetterRun
print(LetterRun.objects.create(kind="receipt", day=dt.date.fromisoformat("{day}")).pk)
"""


def wait(what: str, condition, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.2)


@pytest.mark.slow
def test_a_letters_batch_whose_worker_was_killed_is_finished_once(
    tmp_path: Path, database_url: str
):
    portal = tmp_path / "portal"
    generate(portal, COUNT, seed=41, key_pool=8, unlinked_rate=0.0)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MADOGUCHI_DATA_DIR": str(tmp_path / "data"),
        "MADOGUCHI_JOB_LEASE_SECONDS": "3",
        "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
    }

    set_up(env, portal, residents=True)
    madoguchi(env, "intake", "import", str(portal / "packages"))
    today = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()
    asked = subprocess.run(
        [sys.executable, "-c", ASK_FOR_LETTERS.format(day=today)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    run_id = int(asked.stdout.strip())

    def row() -> tuple[str, int, str]:
        [found] = query(
            database_url,
            f"select state, done, lease_owner from notices_letterrun where id = {run_id}",  # noqa: S608
        )
        return str(found[0]), int(found[1]), str(found[2])

    def worker() -> subprocess.Popen[bytes]:
        # The log to a file, not a pipe: a pipe nobody reads fills up and blocks the worker.
        return subprocess.Popen(
            [sys.executable, "-m", "madoguchi", "worker", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("a"),
        )

    first = worker()
    wait("the first 100 letters", lambda: row()[1] >= 100)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    state, done, owner = row()
    assert state == "running" and 100 <= done < COUNT and owner.endswith(f":{first.pid}")
    assert query(database_url, "select count(*) from notices_letter")[0][0] == 0

    second = worker()
    try:
        wait("the batch finished by the second worker", lambda: row()[0] == "done")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    log = (tmp_path / "worker.log").read_text()
    assert "Traceback" not in log, log[-3000:]
    assert query(database_url, "select count(*) from notices_letter")[0][0] == COUNT
    distinct = "select count(distinct application_id) from notices_letter"
    assert query(database_url, distinct)[0][0] == COUNT
    [(files, total, owner_now)] = query(
        database_url,
        f"select files, total, lease_owner from notices_letterrun where id = {run_id}",  # noqa: S608
    )
    names = json.loads(files) if isinstance(files, str) else files
    assert total == COUNT and owner_now.endswith(f":{second.pid}")
    folder = tmp_path / "data" / "letters" / f"run-{run_id}"
    whole = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".part"))
    assert whole == sorted(names) and len(names) == 3  # one PDF, the 発送簿 as PDF and CSV
    sent = "select count(*) from audit_auditevent where action = 210"
    assert query(database_url, sent)[0][0] == COUNT
