"""For tests that run madoguchi as the processes an installation runs (commands, servers):
a database of their own, and free ports."""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import psycopg
import pytest


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
