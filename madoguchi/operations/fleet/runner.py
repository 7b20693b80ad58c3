"""Running madoguchi as one municipality: a process of its own with that municipality's
environment (common.env, then its madoguchi.env) and nothing else of the caller's — a
DATABASE_URL or MADOGUCHI_* setting in the administrator's shell can never reach it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from madoguchi.lib.cli import progress_bar

from .registry import Fleet, Member

T = TypeVar("T")
# What a process needs from the caller to run at all; no setting of madoguchi's.
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PGSSLMODE", "PGSSLROOTCERT")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile reads them (comments and blanks left out;
    a value in double quotes has them taken off)."""
    found: dict[str, str] = {}
    if not path.exists():
        return found
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        found[key.strip()] = value
    return found


def environment(fleet: Fleet, member: Member) -> dict[str, str]:
    env = {key: os.environ[key] for key in PASSED_ON if key in os.environ}
    env.update(read_env_file(fleet.common_env))
    env.update(read_env_file(fleet.env_file(member.code)))
    env["MADOGUCHI_PRODUCTION"] = "1"  # every key is given: none is ever made on the fly
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@dataclass
class Outcome:
    code: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def reason(self) -> str:
        """The last line the command wrote to standard error (its Japanese error)."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"終了コード {self.returncode}"


def run(fleet: Fleet, member: Member, args: list[str], timeout: float | None = None) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "madoguchi", *args],
        env=environment(fleet, member),
        cwd=fleet.data_dir(member.code),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Outcome(member.code, done.returncode, done.stdout, done.stderr)


def replace_with(fleet: Fleet, member: Member, args: list[str]) -> None:
    """This process becomes madoguchi as the municipality (`fleet run`): its output as it
    comes, signals straight to it (a stopped `fleet run … serve` leaves no server behind)."""
    os.chdir(fleet.data_dir(member.code))
    command = [sys.executable, "-m", "madoguchi", *args]
    os.execve(sys.executable, command, environment(fleet, member))  # noqa: S606 (no shell)


def each(
    members: list[Member],
    work: Callable[[Member], T],
    parallel: int,
    label: str,
    failed: Callable[[T], bool] = lambda _: False,
) -> Iterator[T]:
    """``work`` for every member, ``parallel`` at a time, yielded in the members' order, with
    a progress bar on a terminal. After a round in which one ``failed``, no other starts."""
    draw = progress_bar(label)
    step = max(1, parallel)
    with ThreadPoolExecutor(max_workers=step) as pool:
        for start in range(0, len(members), step):
            results = list(pool.map(work, members[start : start + step]))
            yield from results
            draw(start + len(results), len(members))
            if any(failed(result) for result in results):
                return
