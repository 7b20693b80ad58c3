"""付録2: the cost of each hand-over 方式 over a horizon, and the volumes where two break even.

For a procedure with N applications a year, a 方式 m with staff hours per case t_m, one-off
cost Init_m and yearly running cost Run_m, staff cost w per hour and a horizon of Y years:

    Cost_m(Y) = Init_m + Y·Run_m + Y·N·t_m·w

Two 方式 a and b cost the same at N* = ((Init_b − Init_a) + Y·(Run_b − Run_a)) / (Y·w·(t_a − t_b)):
above N* the one with fewer hours per case is cheaper. Plain arithmetic, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    name: str
    hours_per_case: float
    initial: float = 0.0
    running: float = 0.0
    # False when Init and Run were left blank: the 方式 is costed on staff time alone, never
    # recommended, and given the budget below which it would be the cheapest.
    costs_known: bool = True


@dataclass(frozen=True)
class BreakEven:
    cheaper_below: str  # the 方式 that costs less below the volume
    cheaper_above: str
    volume: float  # applications a year


@dataclass(frozen=True)
class Choice:
    volume: float
    years: int
    hourly_cost: float
    costs: dict[str, float]  # 方式 → Cost_m(Y)
    hours: dict[str, float]  # 方式 → staff hours over Y years
    recommended: str | None  # the cheapest 方式 whose costs are known
    break_evens: list[BreakEven]
    # 方式 with unknown costs → the most Init + Y·Run may total for it to be the cheapest
    # (0 or less: it costs more in staff time alone).
    budgets: dict[str, float]


class InputError(ValueError):
    """An input that cannot be costed (in Japanese, naming the input)."""


def cost(method: Method, volume: float, years: int, hourly_cost: float) -> float:
    return (
        method.initial
        + years * method.running
        + years * volume * method.hours_per_case * hourly_cost
    )


def break_even(a: Method, b: Method, years: int, hourly_cost: float) -> BreakEven | None:
    """The yearly volume where a and b cost the same over the horizon; None when they never
    cross at a positive volume (one is cheaper at every volume, or they are parallel)."""
    slope = years * hourly_cost * (a.hours_per_case - b.hours_per_case)
    if slope == 0:
        return None
    volume = ((b.initial - a.initial) + years * (b.running - a.running)) / slope
    if volume <= 0:
        return None
    # Above the volume the one with fewer hours per case wins.
    fewer, more = (b, a) if a.hours_per_case > b.hours_per_case else (a, b)
    return BreakEven(cheaper_below=more.name, cheaper_above=fewer.name, volume=volume)


def choose(methods: list[Method], volume: float, years: int, hourly_cost: float) -> Choice:
    if not methods:
        raise InputError("方式が1つもありません")
    if volume < 0:
        raise InputError("年間件数 N は 0 以上です")
    if years < 1:
        raise InputError("期間 Y は 1 年以上です")
    if hourly_cost < 0:
        raise InputError("職員の時間単価 w は 0 以上です")
    for m in methods:
        if min(m.hours_per_case, m.initial, m.running) < 0:
            raise InputError(f"方式「{m.name}」の値は 0 以上です")
    if len({m.name for m in methods}) != len(methods):
        raise InputError("方式の名前が重複しています")
    costs = {m.name: cost(m, volume, years, hourly_cost) for m in methods}
    known = [m for m in methods if m.costs_known]
    best = min(known, key=lambda m: (costs[m.name], m.hours_per_case)) if known else None
    return Choice(
        volume=volume,
        years=years,
        hourly_cost=hourly_cost,
        costs=costs,
        hours={m.name: years * volume * m.hours_per_case for m in methods},
        recommended=best.name if best else None,
        break_evens=[
            found
            for i, a in enumerate(known)
            for b in known[i + 1 :]
            if (found := break_even(a, b, years, hourly_cost)) is not None
        ],
        budgets={
            m.name: costs[best.name] - costs[m.name]
            for m in methods
            if best is not None and not m.costs_known
        },
    )
