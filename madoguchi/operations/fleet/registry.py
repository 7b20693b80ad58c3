"""The fleet's own records: who is in it (fleet.json) and what was done to it (a journal).

Layout under the fleet folder (MADOGUCHI_FLEET_DIR, root:madoguchi 0750 in production)::

    fleet.json              the municipalities: 団体コード, name, host name, web port, database
    journal.jsonl           add / migrate / export / import / remove, one hash-chained line each
    common.env              settings every municipality shares (the proxy, static files, CRLs)
    <団体コード>/madoguchi.env  the municipality's own settings (read after common.env)
    <団体コード>/relay.env      its relay's (連携サーバ)
    <団体コード>/secrets/       its keys and database credentials (0700; never in a backup)

and each municipality's data folder under MADOGUCHI_FLEET_DATA_DIR/<団体コード>.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from madoguchi.lib.codes import is_prefecture_code, is_valid_municipality_code

FORMAT = "madoguchi-fleet/1"
FIRST_PORT = 8101
GENESIS = "0" * 64


class FleetError(Exception):
    """What the fleet command could not do, said in Japanese (exit 1)."""


@dataclass(frozen=True)
class Member:
    code: str  # 地方公共団体コード
    name: str
    host: str  # the host name its staff use (nginx routes by it)
    port: int  # its web server on 127.0.0.1
    database: str  # "postgresql" (made by the fleet), "sqlite", or "given" (--database-url)
    added_at: str

    @property
    def is_prefecture(self) -> bool:
        """都道府県 mode: a prefecture has no 番号紐付情報."""
        return is_prefecture_code(self.code)


def check_code(code: str) -> str:
    if not is_valid_municipality_code(code):
        raise FleetError(
            f"団体コード「{code}」が正しくありません (6 桁、最後の桁は検査数字。"
            "例: 千代田区 131016)"
        )
    return code


class Fleet:
    def __init__(self, root: Path, data_root: Path) -> None:
        self.root = root
        self.data_root = data_root

    @property
    def registry(self) -> Path:
        return self.root / "fleet.json"

    @property
    def journal_file(self) -> Path:
        return self.root / "journal.jsonl"

    @property
    def common_env(self) -> Path:
        return self.root / "common.env"

    def config_dir(self, code: str) -> Path:
        return self.root / code

    def secrets_dir(self, code: str) -> Path:
        return self.root / code / "secrets"

    def env_file(self, code: str) -> Path:
        return self.root / code / "madoguchi.env"

    def data_dir(self, code: str) -> Path:
        return self.data_root / code

    def members(self) -> list[Member]:
        if not self.registry.exists():
            return []
        document = json.loads(self.registry.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise FleetError(f"{self.registry} は知らない形式です: {document.get('format')!r}")
        return [Member(**row) for row in document["municipalities"]]

    def get(self, code: str) -> Member:
        for member in self.members():
            if member.code == code:
                return member
        raise FleetError(
            f"団体コード {code} はこのフリートにありません (madoguchi fleet list で確認できます)"
        )

    def next_port(self) -> int:
        used = {m.port for m in self.members()}
        port = FIRST_PORT
        while port in used:
            port += 1
        return port

    def save(self, members: list[Member]) -> None:
        """Written whole or not at all (a temporary name, then a rename)."""
        self.root.mkdir(parents=True, exist_ok=True)
        document = {
            "format": FORMAT,
            "municipalities": [asdict(m) for m in sorted(members, key=lambda m: m.code)],
        }
        partial = self.registry.with_name(".fleet.json.part")
        partial.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        os.replace(partial, self.registry)

    def journal(self, action: str, code: str, **details: Any) -> dict[str, Any]:
        """One line of the journal, chained to the one before by its SHA-256: a line taken
        out or changed breaks every hash after it (`fleet list` says so)."""
        entries = self.journal_entries()
        entry = {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "action": action,
            "code": code,
            "operator": os.environ.get("SUDO_USER") or getpass.getuser(),
            **details,
            "prev": entries[-1]["hash"] if entries else GENESIS,
        }
        entry["hash"] = _entry_hash(entry)
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.journal_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return entry

    def journal_entries(self) -> list[dict[str, Any]]:
        if not self.journal_file.exists():
            return []
        lines = self.journal_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def journal_problems(self) -> list[str]:
        problems = []
        prev = GENESIS
        for number, entry in enumerate(self.journal_entries(), start=1):
            if entry.get("prev") != prev or _entry_hash(entry) != entry.get("hash"):
                problems.append(f"作業記録 {number} 行目が変更されているか、前の行が欠けています")
            prev = entry.get("hash", "")
        return problems


def _entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
