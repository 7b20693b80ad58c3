"""The database's part of a backup, SQLite or PostgreSQL (operations/backup.py).

SQLite: the online backup API gives a consistent copy while the system runs; restore
replaces the database file (stop the web server, worker and relay first).
PostgreSQL: pg_dump in its custom format, and pg_restore --clean --if-exists, by the role
that owns the tables (checked first, and named when it is another).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection


class BackupError(Exception):
    pass


def _settings() -> dict[str, Any]:
    return dict(connection.settings_dict)


def _pg_env(config: dict[str, Any]) -> dict[str, str]:
    options = config.get("OPTIONS", {})
    env = {**os.environ, "PGDATABASE": str(config["NAME"])}
    for key, name, fallback in (
        ("PGHOST", "HOST", "host"),
        ("PGPORT", "PORT", "port"),
        ("PGUSER", "USER", "user"),
        ("PGPASSWORD", "PASSWORD", "password"),
    ):
        value = config.get(name) or options.get(fallback)
        if value:
            env[key] = str(value)
    return env


def _sqlite(name: str | Path) -> sqlite3.Connection:
    """The live database, also when it is a URI (the test suite's shared in-memory one)."""
    return sqlite3.connect(name, uri=str(name).startswith("file:"))


def dump(target: Path) -> Path:
    config = _settings()
    target.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        try:
            with _sqlite(config["NAME"]) as source, sqlite3.connect(target) as copy:
                source.backup(copy)
        except sqlite3.OperationalError as exc:
            if "full" in str(exc):  # "database or disk is full": said as a full disk
                raise OSError(errno.ENOSPC, str(exc)) from exc
            raise
        return target
    if connection.vendor == "postgresql":
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump が見つかりません (Debian の postgresql-client パッケージ)")
        done = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"],
            env=_pg_env(config),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            if "No space left on device" in done.stderr:  # said as a full disk
                raise OSError(errno.ENOSPC, done.stderr.strip())
            raise BackupError(
                f"バックアップを作成できませんでした (pg_dump): {done.stderr.strip()}"
            )
        return target
    raise BackupError(f"このデータベースには対応していません: {connection.vendor}")


def load(source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"ファイルがありません: {source}")
    config = _settings()
    if connection.vendor == "sqlite":
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as check:
                if check.execute("pragma integrity_check").fetchone()[0] != "ok":
                    raise BackupError("バックアップファイルが壊れています")
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"SQLite のバックアップファイルではありません: {exc}") from exc
        with sqlite3.connect(source) as backup, _sqlite(config["NAME"]) as live:
            backup.backup(live)
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            problem = role_problem(cursor)
        if problem:
            raise BackupError(problem)
        connection.close()
        done = subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={config['NAME']}",
                str(source),
            ],
            env=_pg_env(config),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(
                f"復元できませんでした (pg_restore のバックアップファイルか確認してください): "
                f"{done.stderr.strip()}"
            )
        return
    raise BackupError(f"このデータベースには対応していません: {connection.vendor}")


def role_problem(cursor: Any) -> str | None:
    """pg_restore --clean drops and re-creates the tables: only their owner (or a superuser)
    may. Said with the role to use, before anything is touched."""
    cursor.execute(
        "SELECT tableowner, current_user, "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
        "FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'django_migrations'"
    )
    row = cursor.fetchone()
    if row is None:
        return None  # an empty database: anyone who may create tables restores into it
    owner, current, superuser = row
    if owner == current or superuser:
        return None
    return (
        f"復元はテーブルの所有者のロール「{owner}」で行ってください (いまは「{current}」で"
        f"接続しています)。DATABASE_URL のユーザーを {owner} にして実行してください"
    )
