"""付録2 inputs: a TOML or JSON file of procedures and their 方式 (docs/insights.md), and
the yearly volume madoguchi measured for a procedure."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from madoguchi.applications.models import Application
from madoguchi.lib.method_costs import Choice, InputError, Method, choose


@dataclass(frozen=True)
class Costed:
    name: str
    procedure_id: str
    measured: bool  # the volume is madoguchi's count of the last 365 days
    choice: Choice


def measured_volume(procedure_id: str, today: dt.date | None = None) -> int:
    """Applications of the procedure received in the 365 days up to today, every channel."""
    today = today or timezone.localdate()
    start = dt.datetime.combine(
        today - dt.timedelta(days=364), dt.time(), tzinfo=timezone.get_current_timezone()
    )
    return Application.objects.filter(
        procedure__procedure_id=procedure_id, received_at__gte=start
    ).count()


def parse_inputs(data: bytes, file_name: str) -> dict[str, Any]:
    text = data.decode("utf-8-sig")
    try:
        parsed = json.loads(text) if file_name.endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"ファイルを読めません: {exc}") from None
    if not isinstance(parsed, dict):
        raise InputError("ファイルの最上位は表(オブジェクト)です")
    return parsed


def _number(table: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {key} は数で指定してください")
    return float(value)


def cost_all(inputs: dict[str, Any]) -> list[Costed]:
    years = int(_number(inputs, "years", "全体"))
    hourly = _number(inputs, "hourly_cost", "全体")
    procedures = inputs.get("procedures")
    if not isinstance(procedures, list) or not procedures:
        raise InputError("procedures がありません")
    results = []
    for index, entry in enumerate(procedures, start=1):
        if not isinstance(entry, dict):
            raise InputError(f"{index} 番目の procedures が表ではありません")
        procedure_id = str(entry.get("id", ""))
        name = str(entry.get("name") or procedure_id or f"{index} 番目")
        measured = "volume" not in entry
        if measured and not procedure_id:
            raise InputError(f"{name}: volume か id(件数を madoguchi から数える)が必要です")
        volume = measured_volume(procedure_id) if measured else _number(entry, "volume", name)
        methods = [
            Method(
                name=str(m.get("name", "")) or f"{n} 番目の方式",
                hours_per_case=_number(m, "hours_per_case", name),
                initial=_number(m, "initial", name, 0),
                running=_number(m, "running", name, 0),
            )
            for n, m in enumerate(entry.get("methods", []), start=1)
            if isinstance(m, dict)
        ]
        results.append(Costed(name, procedure_id, measured, choose(methods, volume, years, hourly)))
    return results
