"""A municipality's data taken out and brought in (データの可搬性), and its removal.

`fleet export` writes one archive (mode 600): the municipality's backup (`backup create`:
database, letters, configuration), its audit anchor file, its keys — without which its
個人番号 cannot be read nor its audit log verified — and a description. Keep it as the keys
are kept. `fleet import` brings it up under a new database and role (the credentials are
never carried), restores it, and checks the audit chain against its anchors.
`fleet remove` is refused unless an export of the municipality as it is now exists.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.utils import timezone

from madoguchi.operations.archives import ArchiveError, sha256_of, unpack, write

from . import provision
from .actions import prepare
from .registry import Fleet, FleetError, Member
from .runner import environment, run

FORMAT = "madoguchi-fleet-export/1"
DESCRIPTION = "export.json"


def anchor_file(fleet: Fleet, member: Member) -> Path:
    given = environment(fleet, member).get("MADOGUCHI_AUDIT_ANCHOR_FILE")
    return Path(given) if given else fleet.data_dir(member.code) / "audit-anchors.jsonl"


def _audit_events(fleet: Fleet, member: Member) -> tuple[int, list[str]]:
    done = run(fleet, member, ["audit", "verify", "--json"])
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise FleetError(f"{member.code} の監査ログを検査できません: {done.reason()}") from None
    return int(result["events"]), list(result["problems"])


def export(fleet: Fleet, code: str, out: Path) -> dict[str, Any]:
    member = fleet.get(code)
    out = out.resolve()
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = out / f"madoguchi-export-{code}-{stamp}.tar"
    with tempfile.TemporaryDirectory(dir=out, prefix=".export-") as work:
        backup = Path(work) / "backup.tar.gz"
        done = run(fleet, member, ["backup", "create", str(backup), "--json"])
        if not done.ok:
            raise FleetError(f"{code} のバックアップを作れませんでした: {done.reason()}")
        manifest = json.loads(done.stdout)
        members: dict[str, Path] = {"backup.tar.gz": backup}
        anchors = anchor_file(fleet, member)
        if anchors.exists():
            members["audit-anchors.jsonl"] = anchors
        for name in provision.KEYS:
            members[f"keys/{name}"] = fleet.secrets_dir(code) / name
        description = {
            "format": FORMAT,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "municipality": {"code": member.code, "name": member.name, "host": member.host},
            "vendor": manifest["vendor"],
            "audit_head": manifest["audit_head"],
            "files": {name: sha256_of(path) for name, path in members.items()},
        }
        partial = Path(work) / "export.part"
        write(partial, DESCRIPTION, description, members, gzip=False)
        os.replace(partial, target)
    digest = sha256_of(target)
    head = description["audit_head"]
    fleet.journal(
        "export", code, file=str(target), sha256=digest, audit_seq=head["seq"] if head else 0
    )
    return {"code": code, "file": str(target), "sha256": digest, "audit_head": head}


def _unpack(archive: Path, into: Path) -> dict[str, Any]:
    try:
        return unpack(archive, into, DESCRIPTION, FORMAT, "エクスポート")
    except ArchiveError as exc:
        raise FleetError(str(exc)) from exc


def import_(fleet: Fleet, archive: Path, *, admin_url: str, host: str | None) -> dict[str, Any]:
    """The archive checked whole, then the municipality made anew and restored into."""
    fleet.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=fleet.root, prefix=".import-") as work:
        unpacked = Path(work)
        description = _unpack(archive, unpacked)
        town = description["municipality"]
        vendor = "postgresql" if admin_url else "sqlite"
        if description["vendor"] != vendor:
            raise FleetError(
                f"{description['vendor']} のエクスポートは、このフリート ({vendor}) には"
                "取り込めません"
            )
        keys = {
            name: (unpacked / "keys" / name).read_text(encoding="utf-8").strip()
            for name in provision.KEYS
        }
        member = prepare(
            fleet, town["code"], town["name"], host or town["host"], admin_url=admin_url, keys=keys
        )
        try:
            if (unpacked / "audit-anchors.jsonl").exists():
                target = anchor_file(fleet, member)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(unpacked / "audit-anchors.jsonl", target)
            steps = [
                ["backup", "restore", str(unpacked / "backup.tar.gz"), "--json"],
                ["migrate", "--noinput", "-v", "0"],
                ["procedures", "load", "--json"],
            ]
            restored: dict[str, Any] = {}
            for step in steps:
                done = run(fleet, member, step)
                if not done.ok:
                    raise FleetError(f"{member.code} を復元できませんでした: {done.reason()}")
                restored = restored or json.loads(done.stdout)
        except BaseException:
            remove_member(fleet, member, admin_url)
            raise
    events, problems = _audit_events(fleet, member)
    fleet.journal("import", member.code, file=str(archive), sha256=sha256_of(archive))
    return {
        "code": member.code,
        "name": member.name,
        "host": member.host,
        "applications": restored.get("applications"),
        "audit_events": events,
        "audit_problems": problems,
    }


def remove(fleet: Fleet, code: str, *, admin_url: str) -> dict[str, Any]:
    """Only after an export of the municipality as it is now: the export's archive still
    there with the same SHA-256, and not one audit event since."""
    member = fleet.get(code)
    exported = None
    for entry in fleet.journal_entries():
        if entry["code"] == code and entry["action"] in ("add", "import", "export"):
            exported = entry if entry["action"] == "export" else None
    if exported is None:
        raise FleetError(
            f"{code} {member.name} はエクスポートされていません。先に "
            f"madoguchi fleet export {code} --out DIR を実行してください"
        )
    archive = Path(exported["file"])
    if not archive.is_file() or sha256_of(archive) != exported["sha256"]:
        raise FleetError(
            f"最後のエクスポート {archive} が見つからないか、内容が変わっています。"
            "もう一度エクスポートしてください"
        )
    events, _ = _audit_events(fleet, member)
    if events != exported["audit_seq"]:
        raise FleetError(
            f"エクスポートの後に記録が増えています (監査ログ {exported['audit_seq']} 件 → "
            f"{events} 件)。もう一度エクスポートしてから削除してください"
        )
    remove_member(fleet, member, admin_url)
    fleet.journal("remove", code, name=member.name, export=str(archive), sha256=exported["sha256"])
    return {"code": code, "name": member.name, "export": str(archive)}


def remove_member(fleet: Fleet, member: Member, admin_url: str) -> None:
    if member.database == "postgresql":
        provision.drop_database(admin_url, member.code)
    provision.remove_files(fleet, member.code)
    fleet.save([m for m in fleet.members() if m.code != member.code])
