"""What `fleet add` makes for a municipality: its database and role, its keys, its folders
and its environment files; and what `fleet remove` takes away.

On PostgreSQL the fleet connects with the cluster's administrative URL
(MADOGUCHI_FLEET_ADMIN_DATABASE_URL, a role with CREATEDB and CREATEROLE) and makes
``madoguchi_<団体コード>`` twice: a login role with a password of its own, and a database it
owns on which PUBLIC's CONNECT is revoked — so one municipality's role is refused at the door
of another's database, whatever a setting says. Without an administrative URL the fleet keeps
each municipality in an SQLite file in its data folder (a demo of two towns, tests).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import dj_database_url
import psycopg
from psycopg import sql

from .registry import Fleet, FleetError, Member

# The keys every municipality has of its own, as docs/deployment.md makes them by hand.
KEYS: dict[str, Callable[[], str]] = {
    "secret_key": lambda: secrets.token_urlsafe(50),
    "my_number_keys": lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "audit_keys": lambda: secrets.token_hex(32),
    "spool_private_key": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    "relay_handoff_key": lambda: secrets.token_urlsafe(32),
}

COMMON_ENV = """\
# Settings every municipality of the fleet shares (docs/joint-use.md); each municipality's
# own file (<団体コード>/madoguchi.env) is read after this one and wins.
BEHIND_HTTPS_PROXY=1
MADOGUCHI_TRUSTED_PROXY=127.0.0.1
MADOGUCHI_STATIC_CORE_TOKENS=0
LOG_LEVEL=INFO
# STATIC_ROOT=/opt/madoguchi/static
# MADOGUCHI_CRL_SOURCES=/srv/jpki/sign.crl
"""


def role_name(code: str) -> str:
    return f"madoguchi_{code}"


def _admin_connection(admin_url: str) -> psycopg.Connection:
    config = dj_database_url.parse(admin_url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise FleetError("MADOGUCHI_FLEET_ADMIN_DATABASE_URL は PostgreSQL の URL にしてください")
    options = config.get("OPTIONS", {})
    try:
        return psycopg.connect(
            dbname=config["NAME"] or "postgres",
            host=config.get("HOST") or options.get("host") or None,
            port=config.get("PORT") or options.get("port") or None,
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            autocommit=True,
        )
    except psycopg.Error as exc:
        raise FleetError(f"PostgreSQL に管理用の URL で接続できません: {exc}") from exc


def member_url(admin_url: str, code: str, password: str) -> str:
    """The admin URL's server, with the municipality's role and database."""
    parts = urlsplit(admin_url)
    server = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(role_name(code), safe='')}:{quote(password, safe='')}@{server}"
    return urlunsplit(("postgres", netloc, f"/{role_name(code)}", parts.query, ""))


def create_database(admin_url: str, code: str) -> str:
    """The role and its database; the URL the municipality connects with."""
    name = sql.Identifier(role_name(code))
    password = secrets.token_urlsafe(32)
    with _admin_connection(admin_url) as admin:
        taken = admin.execute(
            "SELECT (SELECT count(*) FROM pg_roles WHERE rolname = %s)"
            " + (SELECT count(*) FROM pg_database WHERE datname = %s)",
            [role_name(code), role_name(code)],
        ).fetchone()
        if taken and taken[0]:
            raise FleetError(
                f"PostgreSQL にロールかデータベース {role_name(code)} がすでにあります。"
                "別のフリートのものでないか確かめてください"
            )
        try:
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(name, sql.Literal(password))
            )
            admin.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    name, name
                )
            )
            admin.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name))
            admin.execute(
                sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(name, name)
            )
        except psycopg.Error as exc:
            raise FleetError(f"データベースを作れませんでした: {exc}") from exc
    return member_url(admin_url, code, password)


def drop_database(admin_url: str, code: str) -> None:
    name = sql.Identifier(role_name(code))
    with _admin_connection(admin_url) as admin:
        try:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(name))
        except psycopg.Error as exc:
            raise FleetError(f"データベースを削除できませんでした: {exc}") from exc


def _private_file(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def write_keys(fleet: Fleet, code: str, given: dict[str, str] | None = None) -> None:
    """The municipality's keys: new ones, or (an import) those its export carried."""
    folder = fleet.secrets_dir(code)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, make in KEYS.items():
        _private_file(folder / name, (given or {}).get(name) or make())


def write_database_url(fleet: Fleet, code: str, url: str) -> None:
    fleet.secrets_dir(code).mkdir(mode=0o700, parents=True, exist_ok=True)
    _private_file(fleet.secrets_dir(code) / "database_url", url)


def write_env(fleet: Fleet, member: Member) -> None:
    """The municipality's environment files: its web server, worker and commands read
    madoguchi.env (after common.env); its relay reads relay.env."""
    if not fleet.common_env.exists():
        fleet.root.mkdir(parents=True, exist_ok=True)
        fleet.common_env.write_text(COMMON_ENV, encoding="utf-8")
    keys = fleet.secrets_dir(member.code)
    data = fleet.data_dir(member.code)
    lines = [
        f"# {member.name} ({member.code}) — written by `madoguchi fleet add`; docs/joint-use.md",
        f"MADOGUCHI_MUNICIPALITY_CODE={member.code}",
        f"MADOGUCHI_MUNICIPALITY_NAME={member.name}",
        f"MADOGUCHI_SITE_URL=https://{member.host}",
        f"ALLOWED_HOSTS={member.host}",
        f"MADOGUCHI_WEB_PORT={member.port}",
        f"MADOGUCHI_PREFECTURE_MODE={int(member.is_prefecture)}",
        f"MADOGUCHI_DATA_DIR={data}",
        f"DATABASE_URL_FILE={keys / 'database_url'}",
        f"SECRET_KEY_FILE={keys / 'secret_key'}",
        f"MADOGUCHI_MY_NUMBER_KEYS_FILE={keys / 'my_number_keys'}",
        f"MADOGUCHI_AUDIT_KEYS_FILE={keys / 'audit_keys'}",
        f"MADOGUCHI_SPOOL_PRIVATE_KEY_FILE={keys / 'spool_private_key'}",
        f"MADOGUCHI_RELAY_HANDOFF_KEY_FILE={keys / 'relay_handoff_key'}",
    ]
    _private_file(fleet.env_file(member.code), "\n".join(lines))
    relay = [
        f"# {member.name} ({member.code}) の連携サーバ — written by `madoguchi fleet add`",
        "# On the relay host: the portal's client credential is added by hand",
        "# (MADOGUCHI_PORTAL_CLIENT_ID, MADOGUCHI_PORTAL_CLIENT_SECRET_FILE).",
        f"MADOGUCHI_DATA_DIR={data / 'relay'}",
        f"MADOGUCHI_SPOOL_DIR={data / 'spool'}",
        f"MADOGUCHI_RELAY_HANDOFF_KEY_FILE={keys / 'relay_handoff_key'}",
    ]
    _private_file(fleet.config_dir(member.code) / "relay.env", "\n".join(relay))


def make_folders(fleet: Fleet, code: str) -> None:
    fleet.config_dir(code).mkdir(mode=0o750, parents=True, exist_ok=True)
    fleet.data_dir(code).mkdir(mode=0o700, parents=True, exist_ok=True)


def remove_files(fleet: Fleet, code: str) -> None:
    shutil.rmtree(fleet.config_dir(code), ignore_errors=True)
    shutil.rmtree(fleet.data_dir(code), ignore_errors=True)
