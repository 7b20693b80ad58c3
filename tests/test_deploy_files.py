"""What an administrator installs from deploy/: the service units pass systemd's own check,
and the environment files name every setting madoguchi reads."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").iterdir()), ids=str)
def test_the_service_units_pass_systemd_analyze_verify(tmp_path, unit):
    # An installed system in miniature: systemd's own units, ours, and the programs ours start.
    shutil.copytree("/usr/lib/systemd/system", tmp_path / "usr/lib/systemd/system", symlinks=True)
    units = tmp_path / "etc/systemd/system"
    shutil.copytree(DEPLOY / "systemd", units)
    for program in ("opt/madoguchi/venv/bin/madoguchi", "bin/sh"):
        path = tmp_path / program
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    done = subprocess.run(
        [str(ANALYZE), "verify", "--man=no", f"--root={tmp_path}", unit],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr.strip()) == (0, "")


def test_the_environment_files_name_every_setting():
    source = (ROOT / "madoguchi" / "settings.py").read_text(encoding="utf-8")
    read = set(
        re.findall(
            r'(?:os\.environ\.get|envsecret|envbool|envint|_secret)\(\s*"([A-Z][A-Z0-9_]+)"', source
        )
    )
    assert len(read) > 40
    written = (DEPLOY / "madoguchi.env").read_text(encoding="utf-8") + (
        DEPLOY / "relay.env"
    ).read_text(encoding="utf-8")
    assert sorted(name for name in read if name not in written) == []
