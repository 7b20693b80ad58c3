"""Japanese text normalisation for comparison (never for storage).

One folding serves identification (the certificate's 基本4情報 against the registry) and the
inbox search, so that what a clerk would call the same name or address compares equal:
width, spaces, hiragana/katakana, 異体字 (data/itaiji.csv), hyphen-like marks, wave dashes,
ヶ/ケ/ヵ/カ in place names, variation selectors and a separately written ゛/゜.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from pathlib import Path

_SPACES = re.compile(r"[\s\u3000]+")
# Variation selectors (VS1–16 and the ideographic VS17–256 of IVS sequences).
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# Spacing and half-width sound marks written after a kana, made combining so NFKC composes
# カ゛ and ｶﾞ into ガ.
_SOUND_MARKS = str.maketrans(
    {"\u309b": "\u3099", "\uff9e": "\u3099", "\u309c": "\u309a", "\uff9f": "\u309a"}
)
# Hyphen-like marks people type in 番地 (after NFKC): ‐ ‑ ‒ – — ― − ﹣.
_HYPHENS = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63", "-"))
# ー (長音) is a hyphen only beside a digit; in a kana name it is a sound.
_CHOON_AS_HYPHEN = re.compile(r"(?<=[0-9])ー|ー(?=[0-9])")
# 〜 (wave dash) and ~ (NFKC of ～).
_WAVES = str.maketrans({"\u301c": "~"})
# ヶ ケ ヵ カ between kanji, as in 霞ヶ関 / 霞ケ関 or 一ヵ所 (a kana word keeps カ and ケ apart).
_KA_KE = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f])[ヶケヵカ]")
_DATA = Path(__file__).with_name("data")


@functools.cache
def _variants() -> dict[int, str]:
    """異体字 → the form in everyday use, from data/itaiji.csv (its sources are in the file)."""
    with open(_DATA / "itaiji.csv", encoding="utf-8", newline="") as f:
        rows = [row for row in csv.reader(f) if row and not row[0].startswith("#")]
    return {ord(variant): standard for variant, standard in rows[1:]}


def hiragana_to_katakana(value: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in value)


def normalize_for_match(value: str) -> str:
    """Width-, space-, kana- and variant-insensitive form of a name or address."""
    value = _VARIATION_SELECTORS.sub("", value).translate(_SOUND_MARKS)
    value = unicodedata.normalize("NFKC", value)
    value = hiragana_to_katakana(value.translate(_variants()))
    value = _CHOON_AS_HYPHEN.sub("-", value.translate(_HYPHENS).translate(_WAVES))
    value = _KA_KE.sub("ケ", value)
    # A sound mark left after a removed space (NFKC writes ゛ as space + U+3099) composes.
    return unicodedata.normalize("NFC", _SPACES.sub("", value))


def matches_with_substitutes(
    registered: str, carried: str, positions: frozenset[int] | None
) -> bool:
    """Whether the registry's value and the certificate's are the same once folded, where a
    character at a 代替文字 position of ``carried`` stands for any one character.
    ``positions`` None means the card uses substitutes we cannot place: it may differ."""
    if positions is None:
        return True
    if not positions:
        return normalize_for_match(registered) == normalize_for_match(carried)
    pattern, start = [], 0
    for index in sorted(positions):
        pattern.append(re.escape(normalize_for_match(carried[start:index])))
        pattern.append(".")
        start = index + 1
    pattern.append(re.escape(normalize_for_match(carried[start:])))
    return re.fullmatch("".join(pattern), normalize_for_match(registered)) is not None
