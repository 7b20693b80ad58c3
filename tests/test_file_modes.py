"""Files that hold personal data are their own user's alone: the data folder 0700, the
database and its WAL, keys and backups 0600; the spool share is group-writable by design."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.one_pass("sqlite")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_and_everything_in_it_are_private(tmp_path):
    data = tmp_path / "data"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "MADOGUCHI_DATA_DIR": str(data),
    }

    def madoguchi(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "madoguchi", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    old = os.umask(0o022)  # a shell's usual umask: madoguchi must not rely on it
    try:
        madoguchi("migrate", "--noinput", "-v", "0")
        madoguchi("worker", "--once")
        madoguchi("backup", "create", str(data / "backup.sqlite3"))
    finally:
        os.umask(old)
    assert mode(data) == 0o700
    spool = data / "spool"
    private = [p for p in data.rglob("*") if p.is_file() and spool not in p.parents]
    assert {p.name for p in private} >= {
        "madoguchi.sqlite3",
        "secret_key",
        "my-number-key",
        "audit-key",
        "backup.sqlite3",
    }
    assert {p.name: oct(mode(p)) for p in private if mode(p) != 0o600} == {}
    assert mode(spool) == 0o2770 and mode(spool / "incoming") == 0o2770
    published = next((spool / "keys").iterdir())
    assert mode(published) == 0o660
