"""`madoguchi insights load-card-issuance FILE [--date D] [--json]`,
`madoguchi insights method-costs FILE [--json]` (DESIGN.md §6) and
`madoguchi insights recount [--all]` (the daily counts the dashboard reads)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.insights.actions import load_card_issuance
from madoguchi.insights.aggregate import recount_all, refresh
from madoguchi.insights.methods import cost_all, parse_inputs
from madoguchi.lib.card_issuance import TableError
from madoguchi.lib.cli import iso_date, print_json, progress_bar
from madoguchi.lib.method_costs import InputError


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"ファイルを読めません: {path}: {exc.strerror}") from None


class Command(MadoguchiCommand):
    help = "業務の見える化: カード交付状況の読込、付録2の方式比較、日次集計"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        cards = sub.add_parser(
            "load-card-issuance", help="マイナンバーカード交付状況の表 (CSV) を読み込む"
        )
        cards.add_argument("file", type=Path, help="交付状況の表 (CSV)")
        cards.add_argument("--date", type=iso_date, help="表に基準日がないときの基準日")
        cards.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        costs = sub.add_parser("method-costs", help="付録2: 方式ごとの費用と損益分岐 (TOML/JSON)")
        costs.add_argument("file", type=Path, help="方式ごとの費用と件数 (TOML, docs/insights.md)")
        costs.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        recount = sub.add_parser("recount", help="ダッシュボードの日次集計を数え直す")
        recount.add_argument("--all", action="store_true", help="最初の申請の日からすべて")

    def handle(self, *args: Any, **options: Any) -> None:
        {
            "load-card-issuance": self._cards,
            "method-costs": self._costs,
            "recount": self._recount,
        }[options["subcommand"]](options)

    def _cards(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            load = load_card_issuance(_read(path), source=path.name, base_date=options["date"])
        except TableError as exc:
            raise CommandError(f"交付状況の表として読めません: {exc}") from None
        if options["json"]:
            print_json(
                {
                    "base_dates": [d.isoformat() for d in load.base_dates],
                    "rows": len(load.rows),
                    "mismatches": [
                        {
                            "line": r.line,
                            "row": r.label,
                            "printed_rate": str(r.printed_rate),
                            "computed_rate": str(r.computed_rate),
                        }
                        for r in load.mismatches
                    ],
                }
            )
            return
        dates = "・".join(d.isoformat() for d in load.base_dates)
        self.stdout.write(f"基準日 {dates}: {len(load.rows)} 行を読み込みました")
        for r in load.mismatches:
            self.stdout.write(
                f"  {r.line} 行目 {r.label}: 公表 {r.printed_rate}% / 再計算 {r.computed_rate}%"
            )
        if not load.mismatches:
            self.stdout.write("  すべての交付率が人口と交付枚数から再計算した値と一致しました")

    def _costs(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            results = cost_all(parse_inputs(_read(path), path.name))
        except InputError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            print_json(
                {
                    "results": [
                        {
                            "name": r.name,
                            "procedure": r.procedure_id or None,
                            "volume": r.choice.volume,
                            "volume_measured": r.measured,
                            "years": r.choice.years,
                            "hourly_cost": r.choice.hourly_cost,
                            "costs": r.choice.costs,
                            "staff_hours": r.choice.hours,
                            "recommended": r.choice.recommended,
                            "break_even": [
                                {
                                    "cheaper_below": b.cheaper_below,
                                    "cheaper_above": b.cheaper_above,
                                    "volume": b.volume,
                                }
                                for b in r.choice.break_evens
                            ],
                        }
                        for r in results
                    ]
                }
            )
            return
        for r in results:
            how = "(madoguchi の直近365日の件数)" if r.measured else ""
            self.stdout.write(
                f"{r.name}: 年間 {r.choice.volume:,.0f} 件{how}、{r.choice.years} 年、"
                f"時間単価 {r.choice.hourly_cost:,.0f} 円"
            )
            for name, value in r.choice.costs.items():
                mark = " ← 推奨" if name == r.choice.recommended else ""
                self.stdout.write(
                    f"  {name}: {value:,.0f} 円(職員 {r.choice.hours[name]:,.1f} 時間){mark}"
                )
            for b in r.choice.break_evens:
                self.stdout.write(
                    f"  損益分岐 年間 {b.volume:,.0f} 件: それ未満は{b.cheaper_below}、"
                    f"それ以上は{b.cheaper_above}"
                )

    def _recount(self, options: dict[str, Any]) -> None:
        draw = progress_bar("日次集計")

        def follow(day: dt.date, done: int, total: int) -> None:
            draw(done, total)

        counted = recount_all(on_day=follow) if options["all"] else refresh(on_day=follow)
        self.stdout.write(f"{counted} 日分を数えました")
