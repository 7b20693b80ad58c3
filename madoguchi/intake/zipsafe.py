"""Reading an untrusted ZIP archive within limits, before anything else touches it."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from .constants import Reason, Rejection


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 50
    max_total_bytes: int = 50 * 1024 * 1024
    max_entry_bytes: int = 20 * 1024 * 1024
    max_ratio: int = 100


DEFAULT_LIMITS = ZipLimits()


def _is_safe_name(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    parts = PurePosixPath(name).parts
    return bool(parts) and ".." not in parts and ":" not in parts[0]


def read_zip(data: bytes, limits: ZipLimits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """Every file of the archive by name; directories are skipped.

    Sizes declared in the headers are checked first and then enforced again while
    reading, because a crafted archive can lie about them.
    """
    if not data.startswith(b"PK"):
        raise Rejection(Reason.NOT_A_ZIP)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise Rejection(Reason.ZIP_CORRUPT, str(exc)) from exc
    if len(infos) > limits.max_entries:
        raise Rejection(Reason.ZIP_LIMITS, f"{len(infos)} entries")
    seen: set[str] = set()
    for info in infos:
        if not _is_safe_name(info.filename) or info.filename in seen:
            raise Rejection(Reason.UNSAFE_PATH, info.filename)
        seen.add(info.filename)
    declared_total = sum(info.file_size for info in infos)
    if declared_total > limits.max_total_bytes:
        raise Rejection(Reason.ZIP_LIMITS, f"{declared_total} bytes unpacked")
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
            raise Rejection(Reason.ZIP_LIMITS, f"{info.filename}: compression ratio")
        try:
            with archive.open(info) as member:
                content = member.read(limits.max_entry_bytes + 1)
        except (
            zipfile.BadZipFile,
            zlib.error,  # a damaged deflate stream
            EOFError,
            ValueError,
            NotImplementedError,
            OSError,
            RuntimeError,  # an encrypted member
        ) as exc:
            raise Rejection(Reason.ZIP_CORRUPT, f"{info.filename}: {exc}") from exc
        if len(content) > limits.max_entry_bytes or len(content) != info.file_size:
            raise Rejection(Reason.ZIP_LIMITS, f"{info.filename}: size differs from header")
        total += len(content)
        if total > limits.max_total_bytes:
            raise Rejection(Reason.ZIP_LIMITS, f"{total} bytes unpacked")
        files[info.filename] = content
    return files
