"""`madoguchi bench --quick` keeps working: every benchmark runs at a small size and reports
a figure against its floor. Speed itself is never asserted here (STYLE: benchmarks, not
timed tests); what is asserted is that each benchmark measured something real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.one_pass("sqlite")]


def test_every_benchmark_runs_quick_and_reports_a_ratio_to_its_floor(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, str(ROOT / "bench" / "suite.py"), "--quick", "--json"]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        # The PostgreSQL pass: the same benchmarks on the test server, each in a database
        # of its own (the load test runs on the SQLite pass only).
        command += ["--database-url", database_url]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert "cores" in report["machine"]
    figures = {f["benchmark"]: f for f in report["figures"]}
    expected = {"intake", "pages", "export", "worker", "workers", "letters", "minutes"} | (
        set() if database_url.startswith("postgres") else {"load", "fleet"}
    )
    assert set(figures) == expected
    for figure in report["figures"]:
        assert figure["madoguchi"] > 0, figure
        if figure["benchmark"] in ("intake", "pages", "export", "letters", "minutes"):
            assert figure["floor"] and figure["floor"] > 0, figure
    assert "0 errors" in figures.get("load", {"note": "0 errors"})["note"]
