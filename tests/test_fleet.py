"""共同利用: the fleet command, as the administrator of a joint service runs it
(docs/joint-use.md). Three municipalities on the test command's PostgreSQL server, each with
a database and role of its own; and a fleet kept in SQLite files for what is not about the
database server."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from madoguchi.operations.fleet.provision import drop_database
from pittari_sim.generate import generate
from tests.processes import free_port, pg_conninfo
from tests.test_behind_proxy import NGINX, make_certificate, wait_for

CHIYODA, CHUO, MINATO = "131016", "131024", "131032"
SERVER = os.environ.get("DATABASE_URL", "")
ANALYZE = shutil.which("systemd-analyze")


def fleet_env(root: Path, admin_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "DATABASE"))}
    env.update(
        MADOGUCHI_DATA_DIR=str(root / "tool"),
        MADOGUCHI_FLEET_DIR=str(root / "fleet"),
        MADOGUCHI_FLEET_ADMIN_DATABASE_URL=admin_url,
    )
    return env


def fleet(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "madoguchi", "fleet", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if ok:
        assert done.returncode == 0, f"fleet {' '.join(args)}: {done.stderr[-2000:]}"
    return done


def as_json(done: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(done.stdout)


@pytest.fixture
def admin() -> Iterator[str]:
    """The server's administrative URL; the fleet's databases and roles gone afterwards."""
    url = urllib.parse.urlsplit(SERVER)._replace(path="/postgres").geturl()
    yield url
    for code in (CHIYODA, CHUO, MINATO):
        drop_database(url, code)


@pytest.mark.one_pass("postgresql")
@pytest.mark.skipif(not SERVER.startswith("postgres"), reason="needs the PostgreSQL server")
def test_three_municipalities_on_one_postgresql_server(tmp_path, admin):
    env = fleet_env(tmp_path, admin)
    # Whatever the administrator's shell says of a database never reaches a municipality.
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/nothing"
    for code, name in ((CHIYODA, "千代田区"), (CHUO, "中央区"), (MINATO, "港区")):
        fleet(env, "add", code, "--name", name, "--host", f"{code}.example.lg.jp")
    towns = as_json(fleet(env, "list", "--json"))["municipalities"]
    assert [(t["code"], t["database"]) for t in towns] == [
        (CHIYODA, "postgresql"),
        (CHUO, "postgresql"),
        (MINATO, "postgresql"),
    ]

    # A municipality's role is refused at the door of another's database.
    own = (tmp_path / "fleet" / CHIYODA / "secrets" / "database_url").read_text().strip()
    with psycopg.connect(**pg_conninfo(own)) as db:  # type: ignore[arg-type]
        assert db.execute("SELECT current_user").fetchone() == (f"madoguchi_{CHIYODA}",)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(**pg_conninfo(own, f"madoguchi_{CHUO}"))  # type: ignore[arg-type]

    # 千代田区's applications arrive in 千代田区 only.
    portal = tmp_path / "portal"
    generate(portal, 2, seed=31, procedure_id="jidou-teate-nintei", unlinked_rate=0.0)
    for code in (CHIYODA, CHUO):
        fleet(env, "run", code, "--", "trust", "add", str(portal / "trust" / "ca.pem"))
        fleet(env, "run", code, "--", "crl", "load", str(portal / "trust" / "ca.crl"))
    imported = fleet(
        env, "run", CHIYODA, "--", "intake", "import", str(portal / "packages"), "--json"
    )
    assert [r["outcome"] for r in as_json(imported)["results"]] == ["accepted", "accepted"]
    receipt = as_json(imported)["results"][0]["receipt_number"]
    who = ["--name", "窓口 花子", "--department", "kosodate", "--role", "窓口担当", "--json"]
    password = {
        code: as_json(fleet(env, "run", code, "--", "staff", "add", "hanako", *who))["password"]
        for code in (CHIYODA, CHUO)
    }
    assert password[CHIYODA] != password[CHUO]
    (tmp_path / "fleet" / "common.env").write_text("BEHIND_HTTPS_PROXY=0\n")
    ports = {CHIYODA: free_port(), CHUO: free_port()}
    servers = {
        code: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "madoguchi",
                "fleet",
                "run",
                code,
                "--",
                "serve",
                "--port",
                str(port),
            ],
            env=env,
        )
        for code, port in ports.items()
    }
    try:
        for code, port in ports.items():
            wait_for(port, servers[code], f"{code} serve")
        chiyoda = Site(ports[CHIYODA], f"{CHIYODA}.example.lg.jp")
        chiyoda.sign_in("hanako", password[CHIYODA])
        assert receipt in chiyoda.get("/applications/")
        # 中央区's server does not know 千代田区's password, nor its applications.
        chuo = Site(ports[CHUO], f"{CHUO}.example.lg.jp")
        chuo.get("/login/")
        chuo.post("/login/", {"username": "hanako", "password": password[CHIYODA]})
        assert "/login/" in chuo.url
        chuo.sign_in("hanako", password[CHUO])
        assert receipt not in chuo.get("/applications/")
        with pytest.raises(urllib.error.HTTPError) as refused:
            chuo.get(f"/applications/{receipt}/")
        assert refused.value.code == 404
        # A name the municipality's server does not answer to is refused.
        with pytest.raises(urllib.error.HTTPError) as refused:
            Site(ports[CHUO], f"{CHIYODA}.example.lg.jp").get("/login/")
        assert refused.value.code == 400
    finally:
        for process in servers.values():
            process.terminate()
            process.wait(timeout=30)
    for port in ports.values():  # `fleet run` became the server: stopped, nothing is left
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()

    # A canary whose migration fails stops the upgrade before the others.
    with psycopg.connect(**pg_conninfo(admin, f"madoguchi_{CHUO}"), autocommit=True) as db:  # type: ignore[arg-type]
        db.execute("ALTER TABLE django_migrations RENAME TO django_migrations_hidden")
    failed = fleet(env, "migrate", "--canary", CHUO, "--json", ok=False)
    assert failed.returncode == 1
    assert f"{CHUO} 中央区 のマイグレーションに失敗したため、残り 2 団体は更新していません" in (
        failed.stderr
    )
    report = as_json(failed)
    assert (report["done"], list(report["failed"]), report["not_started"]) == (
        [],
        [CHUO],
        [CHIYODA, MINATO],
    )
    with psycopg.connect(**pg_conninfo(admin, f"madoguchi_{CHUO}"), autocommit=True) as db:  # type: ignore[arg-type]
        db.execute("DROP TABLE django_migrations")
        db.execute("ALTER TABLE django_migrations_hidden RENAME TO django_migrations")
    assert as_json(fleet(env, "migrate", "--canary", CHUO, "--json"))["done"] == [
        CHUO,
        CHIYODA,
        MINATO,
    ]

    # Removal only after an export; the export brought up again keeps everything.
    refused = fleet(env, "remove", MINATO, ok=False)
    assert (refused.returncode, "エクスポートされていません" in refused.stderr) == (1, True)
    before = audit(env, CHIYODA)
    exported = as_json(fleet(env, "export", CHIYODA, "--out", str(tmp_path / "out"), "--json"))
    fleet(env, "remove", CHIYODA)
    assert [t["code"] for t in as_json(fleet(env, "list", "--json"))["municipalities"]] == [
        CHUO,
        MINATO,
    ]
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(**pg_conninfo(admin, f"madoguchi_{CHIYODA}"))  # type: ignore[arg-type]
    brought = as_json(fleet(env, "import", exported["file"], "--json"))
    assert (brought["code"], brought["applications"], brought["audit_problems"]) == (
        CHIYODA,
        2,
        [],
    )
    after = audit(env, CHIYODA)
    assert after["ok"] and after["events"] == before["events"] > 0
    own = (tmp_path / "fleet" / CHIYODA / "secrets" / "database_url").read_text().strip()
    with psycopg.connect(**pg_conninfo(own)) as db:  # type: ignore[arg-type]
        assert db.execute("SELECT count(*) FROM applications_application").fetchone() == (2,)


def audit(env: dict[str, str], code: str) -> dict:
    return as_json(fleet(env, "run", code, "--", "audit", "verify", "--json"))


class Site:
    """Just enough of a browser for one municipality's web server reached by its host name."""

    def __init__(self, port: int, host: str) -> None:
        self.base, self.host = f"http://127.0.0.1:{port}", host
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.page = self.url = ""

    def _open(self, path: str, data: bytes | None = None) -> str:
        origin = f"http://{self.host}"
        headers = {"Host": self.host, "Origin": origin, "Referer": origin + path}
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.opener.open(request, timeout=30) as answer:
            self.url, self.page = answer.geturl(), answer.read().decode()
        return self.page

    def get(self, path: str) -> str:
        return self._open(path)

    def post(self, path: str, fields: dict[str, str]) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page)
        assert token, "no form on the page"
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], **fields}).encode()
        return self._open(path, data)

    def sign_in(self, username: str, password: str) -> None:
        self.get("/login/")
        self.post("/login/", {"username": username, "password": password})
        assert "/password/" in self.url  # the one-time password is changed first
        new = f"{self.host}-atarashii"
        self.post(
            "/password/", {"old_password": password, "new_password1": new, "new_password2": new}
        )
        assert "/applications/" in self.url


@pytest.mark.one_pass("sqlite")
def test_a_fleet_in_sqlite_files_refuses_bad_input_and_writes_its_units(tmp_path):
    env = fleet_env(tmp_path)
    wrong = fleet(env, "add", "131017", "--name", "千代田区", "--host", "a.example", ok=False)
    assert (wrong.returncode, "団体コード「131017」が正しくありません" in wrong.stderr) == (1, True)
    fleet(env, "add", CHIYODA, "--name", "千代田区", "--host", "chiyoda.example.lg.jp")
    fleet(env, "add", "250007", "--name", "滋賀県", "--host", "shiga.example.lg.jp")
    again = fleet(env, "add", CHIYODA, "--name", "千代田区", "--host", "b.example", ok=False)
    assert "団体コード 131016 はすでにこのフリートにあります" in again.stderr
    taken = fleet(env, "add", CHUO, "--name", "中央区", "--host", "shiga.example.lg.jp", ok=False)
    assert "ホスト名 shiga.example.lg.jp はすでに別の団体が使っています" in taken.stderr
    assert not (tmp_path / "fleet" / CHUO).exists()

    shiga = (tmp_path / "fleet" / "250007" / "madoguchi.env").read_text()
    assert "MADOGUCHI_PREFECTURE_MODE=1" in shiga  # a prefecture has no 番号紐付情報
    keys = tmp_path / "fleet" / CHIYODA / "secrets"
    assert {p.name for p in keys.iterdir()} >= {"my_number_keys", "audit_keys", "database_url"}
    assert {oct(p.stat().st_mode & 0o777) for p in keys.iterdir()} == {"0o600"}
    assert (keys / "audit_keys").read_text() != (
        tmp_path / "fleet" / "250007" / "secrets" / "audit_keys"
    ).read_text()

    out = tmp_path / "units"
    fleet(env, "units", "--out", str(out), "--program", "/opt/madoguchi/venv/bin/madoguchi")
    site = (out / "nginx" / "madoguchi-fleet").read_text()
    assert "server_name chiyoda.example.lg.jp;" in site
    assert "proxy_pass http://127.0.0.1:8101;" in site
    assert "proxy_pass http://127.0.0.1:8102;" in site
    if os.path.exists(NGINX):  # the site as nginx reads it, with this test's files
        cert, key = make_certificate(tmp_path)
        for host in ("chiyoda.example.lg.jp", "shiga.example.lg.jp"):
            site = site.replace(f"/etc/ssl/madoguchi/{host}/fullchain.pem", str(cert))
            site = site.replace(f"/etc/ssl/madoguchi/{host}/privkey.pem", str(key))
        site = site.replace("/etc/nginx/snippets/", f"{out}/nginx/").replace("listen 80;", "")
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
            "events { worker_connections 64; }\n"
            f"http {{ access_log off; {site} }}\n"
        )
        checked = subprocess.run(
            [NGINX, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
    web = (out / "systemd" / "madoguchi-web@.service").read_text()
    assert f"EnvironmentFile={tmp_path / 'fleet'}/%i/madoguchi.env" in web
    if ANALYZE:
        root = tmp_path / "root"
        shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
        shutil.copytree(out / "systemd", root / "etc/systemd/system")
        program = root / "opt/madoguchi/venv/bin/madoguchi"
        program.parent.mkdir(parents=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
        for unit in (
            "madoguchi-web@131016.service",
            "madoguchi-worker@131016.service",
            "madoguchi-relay@131016.service",
            "madoguchi-fleet-backup.timer",
        ):
            done = subprocess.run(
                [ANALYZE, "verify", "--man=no", f"--root={root}", unit],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert (unit, done.returncode, done.stderr.strip()) == (unit, 0, "")

    # Every municipality's backup, each its own archive.
    saved = as_json(fleet(env, "backup", "--out", str(tmp_path / "backups"), "--json"))
    assert [(r["code"], r["ok"]) for r in saved["backups"]] == [(CHIYODA, True), ("250007", True)]
    assert all(Path(r["file"]).stat().st_size > 0 for r in saved["backups"])

    # The prefecture's 県内の状況 gathers each municipality's counts, never its database.
    gathered = as_json(
        fleet(env, "counts", "--out", str(tmp_path / "counts"), "--into", "250007", "--json")
    )
    assert (gathered["loaded_into"], [r["code"] for r in gathered["exports"]]) == (
        "250007",
        [CHIYODA],
    )
    shown = as_json(fleet(env, "run", "250007", "--", "insights", "prefecture", "--json"))
    assert [(m["code"], m["name"]) for m in shown["municipalities"]] == [(CHIYODA, "千代田区")]

    # The journal: a line changed is found.
    journal = tmp_path / "fleet" / "journal.jsonl"
    journal.write_text(journal.read_text().replace("千代田区", "千代田市", 1))
    listed = fleet(env, "list", ok=False)
    assert (listed.returncode, "作業記録 1 行目が変更されているか" in listed.stderr) == (1, True)
