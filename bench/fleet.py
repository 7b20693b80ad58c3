"""共同利用's cost on one machine: N municipalities, each with its web server (one process,
as madoguchi-web@ runs it with --processes 1) and its worker, started together; the seconds
until every web server answers /readyz, and their memory — the sum of each process's
proportional set size (PSS: shared pages divided among their users), per municipality.

    python bench/fleet.py [--sizes 1,5,20]

The first municipality is made by `madoguchi fleet add` (migrated, catalog loaded); the
others copy its database file (set-up, not measured). No floor: the figure is a cost, what
a prefecture plans its host by (docs/joint-use.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Figure  # noqa: E402


def pss_mib(pid: int) -> float:
    """A process's proportional set size in MiB (Linux), 0 when it has ended."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ready(port: int, host: str) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/readyz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310 (loopback)
            return bool(answer.status == 200)
    except OSError:
        return False


def codes(count: int) -> list[str]:
    from madoguchi.lib.codes import municipality_check_digit

    first = [f"{13101 + n}" for n in range(count)]
    return [f"{five}{municipality_check_digit(five)}" for five in first]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,5,20")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    work = Path(tempfile.mkdtemp(prefix="madoguchi-bench-fleet-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "DATABASE"))}
    env.update(
        MADOGUCHI_DATA_DIR=str(work / "tool"),
        MADOGUCHI_FLEET_DIR=str(work / "fleet"),
        LOG_LEVEL="WARNING",
    )
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    import django

    django.setup()
    from madoguchi.operations.fleet.actions import prepare
    from madoguchi.operations.fleet.registry import Fleet
    from madoguchi.operations.fleet.runner import environment

    chosen = codes(max(sizes))
    subprocess.run(
        [sys.executable, "-m", "madoguchi", "fleet", "add", chosen[0], "--name", "団体1",
         "--host", f"{chosen[0]}.bench.example"],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    fleet = Fleet(work / "fleet", work / "fleet" / "data")
    template = fleet.data_dir(chosen[0]) / "madoguchi.sqlite3"
    for number, code in enumerate(chosen[1:], start=2):
        database = work / "copies" / f"{code}.sqlite3"
        database.parent.mkdir(exist_ok=True)
        shutil.copyfile(template, database)
        prepare(
            fleet,
            code,
            f"団体{number}",
            f"{code}.bench.example",
            admin_url="",
            database_url=f"sqlite:///{database}",
        )
    members = fleet.members()
    (fleet.common_env).write_text("LOG_LEVEL=WARNING\n")
    for size in sizes:
        started = time.perf_counter()
        processes = []
        for member in members[:size]:
            member_env = environment(fleet, member)
            for command in (
                ["serve", "--port", str(member.port), "--processes", "1"],
                ["worker", "--interval", "30"],
            ):
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "madoguchi", *command],
                        env=member_env,
                        cwd=fleet.data_dir(member.code),
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
        waiting = {m.port: m.host for m in members[:size]}
        while waiting:
            waiting = {port: host for port, host in waiting.items() if not ready(port, host)}
            if any(p.poll() is not None for p in processes):
                raise SystemExit("bench: a process of the fleet stopped")
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        time.sleep(3)  # the workers' first pass
        total = sum(pss_mib(p.pid) for p in processes)
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        Figure(
            benchmark="fleet",
            what=f"{size} municipalities (web + worker each), memory",
            database="SQLite",
            unit="MiB/municipality",
            madoguchi=total / size,
            floor=None,
            target="report",
            peak_mib=total,
            note=f"{total:,.0f} MiB PSS in all; every web server ready in {seconds:.1f} s",
        ).emit()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
