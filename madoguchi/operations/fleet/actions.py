"""The fleet command's work: add, migrate, status and backup (export, import and remove are
in portability.py). Each step for a municipality is madoguchi run in its own environment
(runner.py); what the fleet itself did goes into its journal."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from madoguchi.operations.heartbeat import PART_LABELS

from . import provision
from .registry import Fleet, FleetError, Member, check_code
from .runner import Outcome, each, run


def _member_database_url(
    fleet: Fleet, code: str, given: str | None, admin_url: str
) -> tuple[str, str]:
    """(kind, URL) of a new municipality's database, made when the fleet makes them."""
    if given:
        return "given", given
    if admin_url:
        return "postgresql", provision.create_database(admin_url, code)
    return "sqlite", f"sqlite:///{fleet.data_dir(code) / 'madoguchi.sqlite3'}"


def prepare(
    fleet: Fleet,
    code: str,
    name: str,
    host: str,
    *,
    admin_url: str,
    database_url: str | None = None,
    keys: dict[str, str] | None = None,
) -> Member:
    """Folders, keys, database and environment files of a new member, recorded in
    fleet.json; on a failure on the way, nothing of it is left."""
    check_code(code)
    members = fleet.members()
    if any(m.code == code for m in members):
        raise FleetError(f"団体コード {code} はすでにこのフリートにあります")
    if any(m.host == host for m in members):
        raise FleetError(f"ホスト名 {host} はすでに別の団体が使っています")
    if not name.strip():
        raise FleetError("団体名 (--name) を指定してください")
    if fleet.config_dir(code).exists() or fleet.data_dir(code).exists():
        raise FleetError(
            f"{fleet.config_dir(code)} か {fleet.data_dir(code)} がすでにあります。"
            "以前の団体のものなら、確認して片付けてから実行してください"
        )
    made_database = False
    try:
        provision.make_folders(fleet, code)
        provision.write_keys(fleet, code, keys)
        kind, url = _member_database_url(fleet, code, database_url, admin_url)
        made_database = kind == "postgresql"
        provision.write_database_url(fleet, code, url)
        member = Member(
            code=code,
            name=name.strip(),
            host=host,
            port=fleet.next_port(),
            database=kind,
            added_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        provision.write_env(fleet, member)
        fleet.save([*members, member])
    except BaseException:
        if made_database:
            provision.drop_database(admin_url, code)
        provision.remove_files(fleet, code)
        raise
    return member


def migrate_one(fleet: Fleet, member: Member) -> Outcome:
    """Its database to the newest structure, and the catalog loaded (docs/deployment.md §10)."""
    done = run(fleet, member, ["migrate", "--noinput", "-v", "0"])
    if done.ok:
        done = run(fleet, member, ["procedures", "load", "--json"])
    return done


def add(
    fleet: Fleet, code: str, name: str, host: str, *, admin_url: str, database_url: str | None
) -> Member:
    member = prepare(fleet, code, name, host, admin_url=admin_url, database_url=database_url)
    fleet.journal("add", code, name=member.name, host=host, database=member.database)
    done = migrate_one(fleet, member)
    if not done.ok:
        raise FleetError(
            f"{code} {member.name} は登録しましたが、データベースの準備に失敗しました: "
            f"{done.reason()}。直してから madoguchi fleet migrate で続けてください"
        )
    return member


@dataclass
class MigrateReport:
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    not_started: list[str] = field(default_factory=list)


def migrate(fleet: Fleet, canary: str | None, parallel: int) -> MigrateReport:
    """The canary first, alone; then the others ``parallel`` at a time. At the first failure
    nothing more starts, and the report names who failed and who was not started."""
    members = fleet.members()
    if not members:
        raise FleetError("フリートに団体がありません (madoguchi fleet add で登録します)")
    if canary:
        first = fleet.get(canary)
        members = [first, *(m for m in members if m.code != canary)]
    report = MigrateReport()
    rounds = [members[:1], members[1:]] if canary else [members]
    for group in rounds:
        for outcome in each(
            group,
            lambda m: migrate_one(fleet, m),
            1 if group is rounds[0] and canary else parallel,
            "マイグレーション",
            failed=lambda o: not o.ok,
        ):
            if outcome.ok:
                report.done.append(outcome.code)
            else:
                report.failed[outcome.code] = outcome.reason()
        if report.failed:
            break
    settled = set(report.done) | set(report.failed)
    report.not_started = [m.code for m in members if m.code not in settled]
    fleet.journal("migrate", canary or "", **asdict(report))
    return report


def status(fleet: Fleet, parallel: int) -> list[dict[str, Any]]:
    """Each municipality's `madoguchi status`: its parts, and whether all are well."""

    def one(member: Member) -> dict[str, Any]:
        done = run(fleet, member, ["status", "--json"], timeout=120)
        try:
            parts = json.loads(done.stdout)
        except json.JSONDecodeError:
            parts = None
        failing = [
            f"{PART_LABELS.get(p['part'], p['part'])}: {p['state']}"
            for p in (parts or {}).get("parts", [])
            if not p["ok"]
        ]
        return {
            "code": member.code,
            "name": member.name,
            "host": member.host,
            "ok": done.ok,
            "parts": parts,
            "error": None if done.ok else ("、".join(failing) or done.reason()),
        }

    return list(each(fleet.members(), one, parallel, "稼働状況"))


def _written(member: Member, done: Outcome, path: Path) -> dict[str, Any]:
    """A municipality's file written by a step (a backup, its counts), or why not."""
    return {
        "code": member.code,
        "name": member.name,
        "ok": done.ok,
        "file": str(path) if done.ok else None,
        "error": None if done.ok else done.reason(),
    }


def backup(fleet: Fleet, out: Path, parallel: int) -> list[dict[str, Any]]:
    """`backup create` for each municipality, into ``out``/<団体コード>-<時刻>.tar.gz."""
    out = out.resolve()
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")

    def one(member: Member) -> dict[str, Any]:
        target = out / f"{member.code}-{stamp}.tar.gz"
        return _written(
            member, run(fleet, member, ["backup", "create", str(target), "--json"]), target
        )

    return list(each(fleet.members(), one, parallel, "バックアップ"))


def counts(
    fleet: Fleet, out: Path, into: str | None, parallel: int
) -> tuple[list[dict[str, Any]], Outcome | None]:
    """Each municipality's daily counts (`insights export-counts`) into ``out``; with
    ``into``, loaded into that member's installation (the prefecture's) for its 県内の状況."""
    target = fleet.get(into) if into else None
    out = out.resolve()
    out.mkdir(mode=0o700, parents=True, exist_ok=True)

    def one(member: Member) -> dict[str, Any]:
        path = out / f"{member.code}.json"
        return _written(
            member, run(fleet, member, ["insights", "export-counts", "--out", str(path)]), path
        )

    sources = [m for m in fleet.members() if target is None or m.code != target.code]
    rows = list(each(sources, one, parallel, "集計の書き出し"))
    loaded = None
    files = [row["file"] for row in rows if row["ok"]]
    if target is not None and files:
        loaded = run(fleet, target, ["insights", "load-counts", *files, "--json"])
    return rows, loaded
