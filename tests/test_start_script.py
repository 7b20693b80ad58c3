"""The README's first command, tried as a new user would: applications appear by themselves."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "DATABASE_URL" in os.environ,
        reason="the demo runs on its own SQLite database; once is enough",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def count_applications(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("select count(*) from applications_application").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_start_brings_the_demo_up_with_applications_arriving(tmp_path: Path):
    data = tmp_path / "demo"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "MADOGUCHI_DATA_DIR": str(data),
        "MADOGUCHI_PORT": str(free_port()),
        "PITTARI_PORT": str(free_port()),
        "MADOGUCHI_PORTAL_POLL_SECONDS": "1",
    }
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "start")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while count_applications(data / "madoguchi.sqlite3") < 20:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "fewer than 20 applications after 120 s"
            time.sleep(1)
        logins = (data / "demo-logins.txt").read_text(encoding="utf-8")
        assert {line.split("\t")[0] for line in logins.splitlines()} == {
            "madoguchi",
            "shinsa",
            "kacho",
            "kaigo",
            "kaigoshinsa",
            "admin",
        }
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert "http://127.0.0.1:" in output
    assert "madoguchi が起動しました" in output
