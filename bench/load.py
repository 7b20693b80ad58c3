"""Load test of the staff UI and API: N concurrent clerks for a fixed time, from a second process,
against a web server on 127.0.0.1 only. Bounded in time and in requests; stops by itself.

    bench/run load [SECONDS] [CLERKS]      defaults: 300 s, 50 clerks

Each clerk logs in; once all have, the clock starts and each loops: inbox first page, a search
by name, one application's detail, the next inbox page (its cursor link), and the REST API
(the list, a detail). Reported: requests, error rate, p50/p95/max latency per kind (logins
apart: they are not in the totals).
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MAX_REQUESTS = 200_000
PASSWORD = "load-test-password-2026"  # noqa: S105 (throwaway accounts of a test database)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str], clerks: int, applications: int) -> None:
    """A database with a day's applications and one 窓口担当 account per clerk."""
    work = Path(env["MADOGUCHI_DATA_DIR"])
    script = f"""
import django; django.setup()
from django.core.management import call_command
from madoguchi.vocabulary import Role
from madoguchi.accounts.models import Department, User
from madoguchi.operations.worker import drain
from madoguchi.intake.actions import add_trust_anchor, load_crl
from madoguchi.procedures.catalog import load_catalog
from madoguchi.relay.passes import relay_spool
from madoguchi.residents.actions import load_links
from pittari_sim.generate import generate, load_or_create_ca
from pathlib import Path
call_command("migrate", verbosity=0)
load_catalog()
portal = Path({str(work / "portal")!r})
items = generate(portal, {applications}, seed=3, key_pool=16, procedure_id="jidou-teate-nintei")
ca = load_or_create_ca(portal)
add_trust_anchor(ca.cert_pem()); load_crl((portal / "trust" / "ca.crl").read_bytes())
load_links(portal / "registry" / "links.csv")
spool = relay_spool()
for item in items: spool.put(item.receipt_number, item.path.read_bytes())
drain(spool)
from madoguchi.accounts.models import ApiToken
department = Department.objects.get(code="kosodate")
tokens = []
for n in range({clerks}):
    user = User.objects.create_user(f"clerk{{n}}", password={PASSWORD!r},
                                    role=Role.COUNTER_CLERK, department=department)
    tokens.append(ApiToken.issue(user, "load")[1])
Path({str(work / "tokens.txt")!r}).write_text("\\n".join(tokens))
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)


class Clock:
    """The measured stretch: it starts once every clerk has logged in (logging 50 clerks in
    on a busy machine is not the load being measured) and lasts SECONDS."""

    def __init__(self, seconds: float, clerks: int) -> None:
        self.seconds, self.stop_at = seconds, float("inf")
        # The action runs once, in the last clerk to arrive, before any is let go.
        self.logged_in = threading.Barrier(clerks, action=self.start)

    def start(self) -> None:
        self.stop_at = time.monotonic() + self.seconds


class Clerk(threading.Thread):
    def __init__(self, base: str, username: str, token: str, clock: Clock, results: dict, lock):
        super().__init__(daemon=True)
        self.base, self.username, self.token, self.clock = base, username, token, clock
        self.results, self.lock = results, lock
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.jar = jar

    def fetch(
        self, kind: str, path: str, data: dict[str, str] | None = None, api: bool = False
    ) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 (loopback)
        if data is not None:
            request.add_header("Referer", self.base + path)
        if api:
            request.add_header("Authorization", f"Bearer {self.token}")
        started = time.perf_counter()
        ok, text = True, ""
        try:
            with self.opener.open(request, timeout=30) as response:  # noqa: S310 (loopback)
                text = response.read().decode("utf-8", "replace")
                ok = response.status == 200
        except Exception:  # noqa: BLE001 (every failure counts as an error)
            ok = False
        elapsed = time.perf_counter() - started
        with self.lock:
            self.results[kind].append((elapsed, ok))
            if not kind.startswith("login"):  # the load, not the logging in
                self.results["_total"].append((elapsed, ok))
        return text

    def run(self) -> None:
        page = self.fetch("login_form", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        self.fetch(
            "login",
            "/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "next": "/applications/",
            },
        )
        self.clock.logged_in.wait(timeout=600)
        while time.monotonic() < self.clock.stop_at and len(self.results["_total"]) < MAX_REQUESTS:
            inbox = self.fetch("inbox", "/applications/")
            receipts = re.findall(r'data-receipt-number="([0-9A-Za-z-]+)"', inbox)
            self.fetch("search", "/applications/?q=" + urllib.parse.quote("佐藤"))
            if receipts:
                self.fetch("detail", f"/applications/{receipts[len(receipts) // 2]}/")
            later = re.search(r'href="(\?[^"]*after=[^"]*)" data-testid="next-page"', inbox)
            if later:
                self.fetch("inbox_next", "/applications/" + html.unescape(later.group(1)))
            self.fetch("api_list", "/api/v1/applications", api=True)
            if receipts:
                self.fetch("api_detail", f"/api/v1/applications/{receipts[0]}", api=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--clerks", type=int, default=50)
    parser.add_argument("--applications", type=int, default=2000)
    # As a municipality would run it on this machine: one web process per core.
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="madoguchi-load-"))
    port = free_port()
    env = {
        **os.environ,
        "MADOGUCHI_DATA_DIR": str(work),
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'load.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
        "LOG_LEVEL": "WARNING",
        "LOGIN_FAILURE_LIMIT": "1000000",
        # The municipality pittari-sim generates for (東京都千代田区).
        "MADOGUCHI_MUNICIPALITY_CODE": os.environ.get("MADOGUCHI_MUNICIPALITY_CODE", "131016"),
    }
    prepare(env, args.clerks, args.applications)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "madoguchi",
            "serve",
            "--port",
            str(port),
            # As madoguchi-web.service runs it: the default threads, a process per core.
            "--processes",
            str(args.processes),
        ],  # fmt: skip
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login/", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        results: dict[str, list[tuple[float, bool]]] = defaultdict(list)
        lock = threading.Lock()
        clock = Clock(args.seconds, args.clerks)
        tokens = (work / "tokens.txt").read_text().split("\n")
        clerks = [
            Clerk(base, f"clerk{n}", tokens[n], clock, results, lock) for n in range(args.clerks)
        ]
        for clerk in clerks:
            clerk.start()
        for clerk in clerks:
            clerk.join(timeout=args.seconds + 660)
    finally:
        server.terminate()
        server.wait(timeout=30)

    from bench.report import Figure

    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"load: {args.clerks} clerks for {args.seconds} s on {engine}, "
        f"{args.applications} applications"
    )
    for kind, samples in sorted(results.items()):
        times = sorted(t for t, _ in samples)
        errors = sum(1 for _, ok in samples if not ok)
        p95 = times[int(len(times) * 0.95) - 1] if len(times) >= 20 else max(times)
        print(
            f"  {kind:14} {len(samples):7} requests  errors {errors / len(samples):6.2%}  "
            f"p50 {statistics.median(times) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
            f"max {times[-1] * 1000:7.1f} ms"
        )
    total = len(results["_total"])
    print(f"  throughput {total / args.seconds:.1f} requests/s")
    if not results["detail"]:
        # An empty inbox measures nothing: the applications did not get in.
        raise SystemExit("load: the inbox showed no applications; nothing was measured")
    everything = sorted(t for t, _ in results["_total"])
    errors = sum(1 for _, ok in results["_total"] if not ok)
    Figure(
        benchmark="load",
        what=f"{args.clerks} clerks × {args.seconds} s, closed loop, p95",
        database=engine,
        unit="ms",
        madoguchi=everything[max(0, int(len(everything) * 0.95) - 1)] * 1000,
        floor=None,
        target="p95 < 1 s, ≥ 80 req/s, 0 errors",
        peak_mib=0,
        note=(
            f"{total / args.seconds:.1f} requests/s, {errors} errors of {total:,}, "
            f"p50 {statistics.median(everything) * 1000:.0f} ms"
        ),
    ).emit()


if __name__ == "__main__":
    main()
