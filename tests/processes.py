"""For tests that run madoguchi as the processes an installation runs (commands, servers):
a database of their own, and free ports."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from nacl.public import PrivateKey

from madoguchi.relay.spool import Spool
from pittari_sim.generate import generate


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_conninfo(url: str, dbname: str | None = None) -> dict[str, object]:
    config = dj_database_url.parse(url)
    options = config.get("OPTIONS", {})
    return {
        "dbname": dbname or config["NAME"],
        "user": config["USER"],
        "host": config["HOST"] or options.get("host", ""),
        "port": config["PORT"] or options.get("port", 5432),
    }


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own: an SQLite file, or a new database on the PostgreSQL server."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    name = f"madoguchi_crash_{secrets.token_hex(4)}"
    conninfo = pg_conninfo(configured, "postgres")
    with psycopg.connect(**conninfo, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    yield urllib.parse.urlsplit(configured)._replace(path=f"/{name}").geturl()
    with psycopg.connect(**conninfo, autocommit=True) as db:
        db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        with sqlite3.connect(f"file:{config['NAME']}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(**pg_conninfo(url)) as db:  # type: ignore[arg-type]
        return db.execute(sql).fetchall()  # type: ignore[arg-type]


def spooled_installation(
    root: Path, database_url: str, count: int, seed: int
) -> tuple[dict[str, str], Spool]:
    """An installation on its own database with ``count`` packages from a portal of its own
    waiting in the spool, sealed to the worker's key as the relay leaves them; returns the
    environment of its processes and the spool."""
    portal = root / "portal"
    generate(portal, count, seed=seed, key_pool=8, unlinked_rate=0.0)
    private = PrivateKey.generate()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MADOGUCHI_DATA_DIR": str(root / "data"),
        "MADOGUCHI_RELAY_HANDOFF_KEY": "spooled",
        "MADOGUCHI_SPOOL_PRIVATE_KEY": base64.b64encode(bytes(private)).decode(),
        "LOG_LEVEL": "INFO",
    }
    set_up(env, portal)
    spool = Spool(root / "data" / "spool", b"spooled")
    spool.publish_seal_key(bytes(private.public_key))
    for package in sorted((portal / "packages").glob("*.zip")):
        spool.put(package.stem, package.read_bytes())
    return env, spool


def madoguchi(env: dict[str, str], *args: str) -> str:
    """`madoguchi ARGS` as an administrator runs it; its output, or the test fails with its
    error."""
    done = subprocess.run(
        [sys.executable, "-m", "madoguchi", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"madoguchi {' '.join(args)}: {done.stderr[-2000:]}"
    return done.stdout


def set_up(env: dict[str, str], portal: Path, *, residents: bool = False) -> None:
    """A new installation as the administrator brings it up for what `pittari-sim generate`
    wrote in ``portal``: migrated, the catalog, the test CA and its CRL (and the registry)."""
    madoguchi(env, "migrate", "--noinput", "-v", "0")
    madoguchi(env, "procedures", "load")
    madoguchi(env, "trust", "add", str(portal / "trust" / "ca.pem"))
    madoguchi(env, "crl", "load", str(portal / "trust" / "ca.crl"))
    if residents:
        madoguchi(env, "residents", "load", str(portal / "registry" / "links.csv"))
