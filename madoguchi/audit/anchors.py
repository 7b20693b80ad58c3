"""Signed checkpoints of the audit chain, kept apart from the database (the anchor file on
another disk or an append-only mount, and a copy of each line to the log collector or
syslog): what catches a cut at the chain's tail that the chain alone cannot.

- A checkpoint every period (the worker, hourly), even when nothing happened, so a missing
  recent checkpoint is itself a finding.
- Each line carries the previous line's MAC: a line taken out of the middle breaks it.
- A restore from a backup is written as a line of its own: the checkpoints of the timeline
  it rewound (after the backup) are then explained, and any other shortening is not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

# Lines of the first format carry no link to the previous line; they are still read.
FORMATS = ("madoguchi-audit-anchor/1", "madoguchi-audit-anchor/2")
FORMAT = FORMATS[-1]
# Each line also goes here: a collector or syslog keeps a copy the database host cannot
# rewrite (settings.AUDIT_ANCHOR_SYSLOG adds a syslog handler).
copy_log = logging.getLogger("madoguchi.audit.anchors")


def _mac(key: bytes, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def read(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            value = {"unreadable": line[:80]}
        lines.append(value if isinstance(value, dict) else {"unreadable": line[:80]})
    return lines


def append(
    path: Path, key_id: str, key: bytes, kind: str, seq: int, chain_hash: str, **extra: Any
) -> dict[str, Any]:
    """One signed line, linked to the line before it, written durably and copied to the log."""
    previous = read(path)[-1:] if path.exists() else []
    body = {
        "format": FORMAT,
        "kind": kind,
        "seq": seq,
        "hash": chain_hash,
        "at": timezone.now().isoformat(timespec="seconds"),
        "key_id": key_id,
        "prev": str(previous[0].get("mac", "")) if previous else "",
        **extra,
    }
    line = body | {"mac": _mac(key, body)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    copy_log.info("audit anchor %s", json.dumps(line, sort_keys=True))
    return line


def check(
    lines: list[dict[str, Any]],
    hashes: dict[int, str],
    keys: dict[str, bytes],
    *,
    now: dt.datetime | None = None,
) -> list[str]:
    """Problems of the anchor lines against the chain (``hashes`` by seq)."""
    problems = []
    restores = [
        i for i, line in enumerate(lines) if line.get("kind") == "restore" and "seq" in line
    ]
    last_restore = restores[-1] if restores else -1
    previous_mac = ""
    newest: dt.datetime | None = None
    for number, line in enumerate(lines, start=1):
        where = f"アンカー {number} 行目"
        body = {k: v for k, v in line.items() if k != "mac"}
        key = keys.get(str(body.get("key_id", "")))
        if key is None or not hmac.compare_digest(_mac(key, body), str(line.get("mac", ""))):
            problems.append(f"{where}: 署名を確認できません")
            previous_mac = str(line.get("mac", ""))
            continue
        if body.get("format") == FORMAT and body.get("prev", "") != previous_mac:
            problems.append(f"{where}: 直前の行とつながっていません (行が削除されています)")
        previous_mac = str(line["mac"])
        newest = _parse(body.get("at")) or newest
        seq = int(body["seq"])
        if number - 1 < last_restore and seq > int(lines[last_restore]["seq"]):
            continue  # written after the backup that was restored: that timeline is gone
        if seq not in hashes:
            problems.append(f"{where}: seq {seq} までの記録がありません (切り詰められています)")
        elif hashes[seq] != body["hash"]:
            problems.append(f"{where}: seq {seq} の記録がアンカーと一致しません")
    limit = 2 * settings.AUDIT_ANCHOR_SECONDS
    if newest is not None and ((now or timezone.now()) - newest).total_seconds() > limit:
        problems.append(
            f"最新のチェックポイントが {timezone.localtime(newest):%Y-%m-%d %H:%M} のものです"
            f" ({limit // 60} 分以内のものがありません: 末尾の行が削除されたか、"
            "ワーカーが止まっています)"
        )
    return problems


def missing(oldest_event_at: dt.datetime | None, now: dt.datetime | None = None) -> list[str]:
    """With no anchor file at all: a problem once the log is older than two periods (a new
    installation has not written its first checkpoint yet)."""
    limit = 2 * settings.AUDIT_ANCHOR_SECONDS
    if (
        oldest_event_at is None
        or ((now or timezone.now()) - oldest_event_at).total_seconds() <= limit
    ):
        return []
    return [
        f"アンカーファイル {settings.AUDIT_ANCHOR_FILE} がありません "
        "(削除されたか、別の場所を指しています)"
    ]


def _parse(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
