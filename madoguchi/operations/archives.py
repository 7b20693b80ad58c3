"""The archives madoguchi writes and reads back (a backup, a municipality's export): a tar
with a manifest naming every member's SHA-256, written whole (mode 0600, on disk before it
is named) and unpacked only whole and only when every member matches — nothing is touched
before that has passed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any


class ArchiveError(Exception):
    """What is wrong with an archive, said in Japanese."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write(
    partial: Path, manifest: str, document: dict[str, Any], members: dict[str, Path], gzip: bool
) -> None:
    """The manifest and the members into ``partial`` (a new file only its owner reads),
    synced to disk; the caller renames it to its name."""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz" if gzip else "w") as archive:
            data = json.dumps(document, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(manifest)
            info.size, info.mode = len(data), 0o600
            archive.addfile(info, io.BytesIO(data))
            for name, path in members.items():
                archive.add(path, arcname=name, recursive=False)
        raw.flush()
        os.fsync(raw.fileno())


def _safe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def unpack(source: Path, into: Path, manifest: str, expected: str, what: str) -> dict[str, Any]:
    """``source`` unpacked into ``into``, its ``manifest`` of format ``expected`` read and
    every member it lists checked against its SHA-256; ``what`` names the archive in errors
    (バックアップ, エクスポート)."""
    try:
        with tarfile.open(source, "r:*") as archive:
            names = archive.getnames()
            if manifest not in names:
                raise ArchiveError(f"{what}の目録 ({manifest}) がありません")
            unsafe = [n for n in names if not _safe(n)]
            if unsafe:
                raise ArchiveError(f"{what}に安全でない名前があります: {unsafe[0]}")
            archive.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"{what}ファイルを読めません (壊れています): {exc}") from exc
    document: dict[str, Any] = json.loads((into / manifest).read_text(encoding="utf-8"))
    if document.get("format") != expected:
        raise ArchiveError(f"知らない形式の{what}です: {document.get('format')!r}")
    for name, digest in document["files"].items():
        path = into / name
        if not path.is_file() or sha256_of(path) != digest:
            raise ArchiveError(f"{what}の {name} が目録と一致しません (壊れています)")
    return document
