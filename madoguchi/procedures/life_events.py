"""ライフイベント (転入, 出生, 要介護になった…) and the procedures each one brings, as
life_events.toml lists them."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

FILE = Path(__file__).resolve().parent / "life_events.toml"


@dataclass(frozen=True)
class LifeEvent:
    id: str
    name: str
    procedure_ids: tuple[str, ...]


@functools.cache
def life_events() -> tuple[LifeEvent, ...]:
    data = tomllib.loads(FILE.read_text(encoding="utf-8"))
    return tuple(
        LifeEvent(str(e["id"]), str(e["name"]), tuple(str(p) for p in e["procedures"]))
        for e in data["events"]
    )


def life_event(event_id: str) -> LifeEvent | None:
    return next((e for e in life_events() if e.id == event_id), None)
