"""Which plugin serves each core system: read once from the configuration file."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings

from madoguchi.procedures.models import Procedure

from ..constants import BatchFormat, HandoffMethod
from .base import Config, CoreSystem

PLUGINS: dict[str, type[CoreSystem]] = {}


class ConfigurationError(ValueError):
    pass


def register(cls: type[CoreSystem]) -> type[CoreSystem]:
    PLUGINS[cls.plugin_name] = cls
    return cls


register(CoreSystem)


def _path(value: Any) -> Path | None:
    if not value:
        return None
    path = Path(str(value))
    return path if path.is_absolute() else Path(settings.DATA_DIR) / path


CP932_VARIANTS = ("windows", "nec")


def _bucket(key: str, value: Any) -> str:
    if value and not (isinstance(value, str) and value.startswith("s3://") and len(value) > 5):
        raise ConfigurationError(f"[{key}] bucket = {value!r} は s3://バケット名/接頭辞 の形です")
    return str(value or "")


def _one_of(key: str, what: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigurationError(
            f"[{key}] {what} = {value!r} は使えません({' / '.join(allowed)} のいずれか)"
        )
    return str(value)


def _config(key: str, name: str, entry: dict[str, Any]) -> Config:
    def choice(kind: type, value: Any, what: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            raise ConfigurationError(f"[{key}] {what} = {value!r} は使えません") from None

    entry = dict(entry)
    plugin = entry.pop("plugin", "standard")
    if plugin not in PLUGINS:
        raise ConfigurationError(f"[{key}] plugin = {plugin!r} は登録されていません")
    config = Config(
        key=key,
        name=str(entry.pop("name", name)),
        plugin=plugin,
        method=choice(HandoffMethod, entry.pop("method", "transcription"), "method"),
        procedures={
            procedure_id: choice(HandoffMethod, method, f"procedures.{procedure_id}")
            for procedure_id, method in entry.pop("procedures", {}).items()
        },
        batch_format=choice(BatchFormat, entry.pop("batch_format", "csv-cp932"), "batch_format"),
        drop_dir=_path(entry.pop("drop_dir", None)),
        bucket=_bucket(key, entry.pop("bucket", "")),
        s3_endpoint=str(entry.pop("s3_endpoint", "")),
        packages=bool(entry.pop("packages", False)),
        result_dir=_path(entry.pop("result_dir", None)),
        batch_every_minutes=entry.pop("batch_every_minutes", None),
        era_dates=bool(entry.pop("era_dates", False)),
        cp932=_one_of(key, "cp932", entry.pop("cp932", "windows"), CP932_VARIANTS),
        characters=_one_of(key, "characters", entry.pop("characters", "any"), ("any", "standard")),
        business_id=str(entry.pop("business_id", key)),
        gaiji_table=_path(entry.pop("gaiji_table", None)),
        max_attempts=int(entry.pop("max_attempts", 5)),
        retry_seconds=int(entry.pop("retry_seconds", 60)),
    )
    if entry:
        raise ConfigurationError(f"[{key}] 不明な設定: {', '.join(sorted(entry))}")
    return config


def _configured() -> dict[str, dict[str, Any]]:
    return _read(settings.CORE_SYSTEMS_FILE) if settings.CORE_SYSTEMS_FILE else {}


@functools.cache
def _read(path: str) -> dict[str, dict[str, Any]]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"基幹システムの設定 {path} を読めません: {exc}") from exc


def core_system(key: str) -> CoreSystem:
    """The plugin for a core system key of the catalog (`core_system`)."""
    procedure = Procedure.objects.filter(core_system=key).order_by("-id").first()
    name = procedure.definition.get("core_system_name", key) if procedure else key
    config = _config(key, name, _configured().get(key, {}))
    return PLUGINS[config.plugin](config)


def all_core_systems() -> list[CoreSystem]:
    keys = set(Procedure.objects.values_list("core_system", flat=True)) | set(_configured())
    return [core_system(key) for key in sorted(keys)]
