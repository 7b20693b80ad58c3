"""マイナンバーカード交付状況: the table 総務省 publishes (区分 / 都道府県 / 市区町村 rows with
人口, 交付枚数 and 人口に対する交付枚数率 at a 基準日), read from CSV, every rate recomputed from
the counts and rounded as printed. Plain parsing, no Django (docs/insights.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .spreadsheet import decode_spreadsheet_text
from .wareki import from_wareki

# JIS X 0401 order; a 団体名 such as 石川県加賀市 is split on these.
PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)  # fmt: skip
WAREKI = re.compile(r"(令和|平成)(元|\d+)年(\d+)月(\d+)日")


class TableError(ValueError):
    """The file is not the table (in Japanese, naming the line)."""


@dataclass(frozen=True)
class Row:
    line: int
    base_date: dt.date
    kind: str  # 区分: 全国, 都道府県, 指定都市, 特別区・市, 町村, … as printed
    prefecture: str
    municipality: str
    population: int
    issued: int
    printed_rate: Decimal  # percent, as printed
    computed_rate: Decimal  # issued / population, rounded to the printed decimals

    @property
    def matches(self) -> bool:
        return self.printed_rate == self.computed_rate

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.kind, self.prefecture, self.municipality) if p)


def prefecture_of_code(municipality_code: str) -> str:
    """The prefecture of a 地方公共団体コード (its first two digits)."""
    number = int(municipality_code[:2]) if municipality_code[:2].isdigit() else 0
    return PREFECTURES[number - 1] if 1 <= number <= len(PREFECTURES) else ""


def place_of(municipality_code: str, name: str) -> tuple[str, str]:
    """(都道府県, 市区町村) as the table names a municipality: its prefecture from its code —
    a name alone is not enough (府中市 is in 東京都 and in 広島県, 森町 in 北海道 and in 静岡県) —
    and its name without the prefecture, should it be configured as 東京都府中市."""
    prefecture = prefecture_of_code(municipality_code)
    return prefecture, name.strip().removeprefix(prefecture)


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD, YYYY/MM/DD or 和暦 (令和3年12月1日), else None."""
    text = unicodedata.normalize("NFKC", text).strip()
    found = WAREKI.search(text)
    if found:
        era, year, month, day = found.groups()
        return from_wareki(era, 1 if year == "元" else int(year), int(month), int(day))
    try:
        return dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None


def recompute(issued: int, population: int, decimals: int) -> Decimal:
    if population <= 0:
        raise ZeroDivisionError
    exact = Decimal(issued) * 100 / Decimal(population)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _column(header: list[str]) -> dict[str, int]:
    """Where each item is, by the official headings and their usual variants."""
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = re.sub(r"[\s【\[(（].*$", "", unicodedata.normalize("NFKC", raw).strip())
        name = name.replace("総数", "").strip("()（）")
        whole = unicodedata.normalize("NFKC", raw)
        if "率" in whole:
            found.setdefault("rate", index)
        elif name.startswith("交付枚数"):
            found.setdefault("issued", index)
        elif "人口" in whole:
            found.setdefault("population", index)
        elif name in ("基準日",):
            found.setdefault("date", index)
        elif name in ("区分", "団体区分"):
            found.setdefault("kind", index)
        elif name in ("都道府県", "都道府県名"):
            found.setdefault("prefecture", index)
        elif name in ("市区町村", "市区町村名", "団体名"):
            found.setdefault("municipality", index)
    missing = [
        label
        for key, label in (("population", "人口"), ("issued", "交付枚数"), ("rate", "交付率"))
        if key not in found
    ]
    if missing:
        raise TableError(f"見出しに {'・'.join(missing)} の列がありません")
    return found


def _number(text: str, what: str, line: int) -> int:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace("人", "").strip()
    cleaned = cleaned.replace("枚", "")
    if not cleaned.isdigit():
        raise TableError(f"{line} 行目: {what}「{text}」が数ではありません")
    return int(cleaned)


def _rate(text: str, line: int) -> Decimal:
    cleaned = unicodedata.normalize("NFKC", text).replace("%", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise TableError(f"{line} 行目: 交付率「{text}」が数ではありません") from None
    if not value.is_finite():
        raise TableError(f"{line} 行目: 交付率「{text}」が数ではありません")
    return value


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Shift_JIS/CP932 as spreadsheets save it."""
    try:
        return decode_spreadsheet_text(data)
    except ValueError as exc:
        raise TableError(str(exc)) from None


def read_table(text: str, base_date: dt.date | None = None) -> list[Row]:
    """Every data row of the table. The 基準日 comes from a 基準日 column, else from a line
    before the heading (「令和3年12月1日現在」), else from ``base_date``."""
    lines = list(csv.reader(io.StringIO(text)))
    header_at = next(
        (i for i, cells in enumerate(lines) if any("交付枚数" in c for c in cells)), None
    )
    if header_at is None:
        raise TableError("交付枚数の見出しがある行が見つかりません")
    for cells in lines[:header_at]:
        found = parse_date(" ".join(cells))
        if found and base_date is None:
            base_date = found
    columns = _column(lines[header_at])
    rows: list[Row] = []
    kind = ""
    for number, cells in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in cells):
            continue

        def cell(key: str, cells: list[str] = cells) -> str:
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        day = parse_date(cell("date")) if "date" in columns else base_date
        if day is None:
            raise TableError(f"{number} 行目: 基準日がわかりません(--date で指定できます)")
        kind = cell("kind") or kind  # a 区分 printed once for the rows under it
        prefecture, municipality = cell("prefecture"), cell("municipality")
        if not prefecture and municipality:
            prefecture = next((p for p in PREFECTURES if municipality.startswith(p)), "")
            municipality = municipality[len(prefecture) :]
        if municipality in PREFECTURES and not prefecture:
            prefecture, municipality = municipality, ""
        population = _number(cell("population"), "人口", number)
        issued = _number(cell("issued"), "交付枚数", number)
        printed = _rate(cell("rate"), number)
        if population == 0:
            raise TableError(f"{number} 行目: 人口が 0 です")
        decimals = max(0, -int(printed.as_tuple().exponent))
        rows.append(
            Row(
                line=number,
                base_date=day,
                kind=kind,
                prefecture=prefecture,
                municipality=municipality,
                population=population,
                issued=issued,
                printed_rate=printed,
                computed_rate=recompute(issued, population, decimals),
            )
        )
    if not rows:
        raise TableError("データの行がありません")
    return rows
