"""`madoguchi insights load-card-issuance FILE [--date D] [--json]`,
`madoguchi insights method-costs FILE [--json]` (DESIGN.md §6) and
`madoguchi insights recount [--all]` (the daily counts the dashboard reads);
for 共同利用, `export-counts`, `load-counts` and `prefecture` (insights/municipal.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from madoguchi.command import MadoguchiCommand
from madoguchi.insights.actions import load_card_issuance
from madoguchi.insights.aggregate import recount_all, refresh
from madoguchi.insights.methods import cost_all, parse_inputs
from madoguchi.insights.municipal import CountsError, export_counts, load_counts, prefecture_view
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
        out = sub.add_parser(
            "export-counts", help="共同利用: この団体の日次集計を書き出す (件数のみ、JSON)"
        )
        out.add_argument("--out", type=Path, required=True, help="書き出すファイル")
        out.add_argument("--from", dest="start", type=iso_date, help="この日から (既定: すべて)")
        into = sub.add_parser("load-counts", help="共同利用: 市町村の日次集計を読み込む (都道府県)")
        into.add_argument("files", type=Path, nargs="+", help="export-counts のファイル")
        into.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        view = sub.add_parser("prefecture", help="共同利用: 市町村ごとの受付・オンライン率・日数")
        view.add_argument("--from", dest="start", type=iso_date, help="期間の初日 (既定: 1年前)")
        view.add_argument("--to", dest="end", type=iso_date, help="期間の末日 (既定: 今日)")
        view.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        {
            "load-card-issuance": self._cards,
            "method-costs": self._costs,
            "recount": self._recount,
            "export-counts": self._export_counts,
            "load-counts": self._load_counts,
            "prefecture": self._prefecture,
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

    def _export_counts(self, options: dict[str, Any]) -> None:
        path: Path = options["out"]
        document = export_counts(options["start"])
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", "utf-8")
        self.stdout.write(f"{len(document['days'])} 行を書き出しました: {path}")

    def _load_counts(self, options: dict[str, Any]) -> None:
        loaded = []
        for path in options["files"]:
            try:
                town = load_counts(_read(path))
            except CountsError as exc:
                raise CommandError(f"{path}: {exc}") from None
            loaded.append({"file": str(path), "code": town.code, "name": town.name})
        if options["json"]:
            print_json({"loaded": loaded})
        else:
            for row in loaded:
                self.stdout.write(f"{row['code']} {row['name']}: {row['file']}")

    def _prefecture(self, options: dict[str, Any]) -> None:
        end = options["end"] or timezone.localdate()
        start = options["start"] or end - dt.timedelta(days=365)
        view = prefecture_view(start, end)
        if options["json"]:
            print_json(
                {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "municipalities": [line.as_json() for line in view.municipalities],
                    "total": view.total.as_json(),
                    "procedures": {
                        name: [line.as_json() for line in lines]
                        for name, lines in view.procedures.items()
                    },
                }
            )
            return
        for line in [*view.municipalities, view.total]:
            rate = "—" if line.online_share is None else f"{line.online_share:.1f}%"
            days = "—" if line.median_days is None else line.median_days
            self.stdout.write(
                f"{line.code or '':6}\t{line.name}\t受付 {line.received}\tオンライン {rate}"
                f"\t完了 {line.completed}\t日数(中央値) {days}"
            )
