"""An installation from the built wheel, as an administrator makes one (not the demo's
editable checkout): every page's file is in the package — a page and the favicon served."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from tests.processes import free_port

pytestmark = pytest.mark.one_pass("sqlite")

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_built_wheel_serves_a_page_and_the_favicon(tmp_path: Path):
    # The tracked files as they are now, built apart from the checkout (no build/ left there).
    source = tmp_path / "source"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.is_file():
            target = source / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [wheel] = (tmp_path / "dist").glob("madoguchi-*.whl")

    # A fresh environment: the wheel itself, with the dependencies this checkout already has
    # (a plain path, so the checkout's own editable install is not seen there).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "MADOGUCHI_DATA_DIR": str(tmp_path / "data"),
    }
    where = subprocess.run(
        [str(python), "-c", "import madoguchi; print(madoguchi.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(site), where  # the wheel's copy, not the checkout
    # Data files the code reads travel with it (the 文字要件 repertoire, the catalog).
    assert Path(site, "madoguchi", "lib", "mj-repertoire.txt").is_file()
    madoguchi = venv / "bin" / "madoguchi"
    subprocess.run(
        [str(madoguchi), "migrate", "--noinput", "-v", "0"], cwd=tmp_path, env=env, check=True
    )
    port = free_port()
    server = subprocess.Popen([str(madoguchi), "serve", "--port", str(port)], cwd=tmp_path, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:
                    assert "職員ログイン" in page.read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        icon = f"http://127.0.0.1:{port}/static/madoguchi/favicon.svg"
        with urllib.request.urlopen(icon, timeout=5) as answer:
            assert answer.headers.get_content_type() == "image/svg+xml"
            assert b"<svg" in answer.read()
        for asset in ("madoguchi/madoguchi.css", "madoguchi/session.js"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/{asset}", timeout=5):
                pass
    finally:
        server.terminate()
        server.wait(timeout=30)
