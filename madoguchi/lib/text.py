"""Japanese text normalisation for comparison (never for storage).

One folding serves identification (the certificate's 基本4情報 against the registry) and the
inbox search, so that what a clerk would call the same name or address compares equal:
width, spaces, hiragana/katakana, Latin letter case (Smith John / SMITH JOHN), 異体字,
hyphen-like marks, wave dashes, ヶ/ケ/ヵ/カ in place names, variation selectors and a
separately written ゛/゜.

異体字 are folded only by a named source, never by hand: the MJ縮退マップ of IPA's 文字情報基盤
(its JIS包摂規準・UCS統合規則, 法務省告示582号 and 法務省戸籍法関連通達 schemes — not its inference
by reading and glyph, which would join names that are not the same), then the 国税庁 JIS縮退
マップ, both through jntajis-python. 髙/高, 﨑/崎, 𠮷/吉, 邉/邊/辺, 澤/沢, 關/関, 曾/曽 fold; the
two everyday forms 斎/斉 do not; 碕/崎 and 凛/凜, which no map joins, do not either.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import jntajis

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


# The MJ縮退マップ's schemes folded by (see the module's note).
_MJ_SCHEMES = (
    jntajis.MJShrinkSchemeCombo.JIS_INCORPORATION_UCS_UNIFICATION_RULE
    | jntajis.MJShrinkSchemeCombo.MOJ_NOTICE_582
    | jntajis.MJShrinkSchemeCombo.MOJ_FAMILY_REGISTER_ACT_RELATED_NOTICE
)
# From here on a character may be a kanji (CJK Extension A and beyond): the maps are asked.
_FIRST_IDEOGRAPH = 0x3400


class _Variants(dict[int, str]):
    """Code point → the form in everyday use, for str.translate: each character looked up
    in the two maps the first time it is seen, then kept."""

    def __missing__(self, code: int) -> str:
        # Each map sends a character one step (the MJ縮退マップ's first candidate, else the
        # 国税庁 map's); the steps can run in a circle (鴎 → 鷗 by the one, 鷗 → 鴎 by the
        # other). Followed to where they end or turn round, the smallest character of that
        # end is the form: every character on the way has the same one.
        path = [chr(code)]
        while path[-1] not in path[:-1]:
            path.append(_step(path[-1]))
        end = path[path.index(path[-1]) :]
        folded = min(end)
        self[code] = folded
        return folded


def _step(character: str) -> str:
    """One step of the maps (see _Variants); a character they leave alone stays."""
    if ord(character) < _FIRST_IDEOGRAPH:
        return character
    candidates = jntajis.mj_shrink_candidates(character, _MJ_SCHEMES)
    if candidates and len(candidates[0]) == 1 and candidates[0] != character:
        return str(candidates[0])
    shrunk = jntajis.jnta_shrink_translit(character, passthrough=True)
    return shrunk if len(shrunk) == 1 else character


@functools.cache
def _variants() -> _Variants:
    return _Variants()


def hiragana_to_katakana(value: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in value)


def normalize_for_match(value: str) -> str:
    """Width-, space-, kana- and variant-insensitive form of a name or address."""
    value = _VARIATION_SELECTORS.sub("", value).translate(_SOUND_MARKS)
    value = unicodedata.normalize("NFKC", value).casefold()
    value = hiragana_to_katakana(value.translate(_variants()))
    value = _CHOON_AS_HYPHEN.sub("-", value.translate(_HYPHENS).translate(_WAVES))
    value = _KA_KE.sub("ケ", value)
    # A sound mark left after a removed space (NFKC writes ゛ as space + U+3099) composes.
    return unicodedata.normalize("NFC", _SPACES.sub("", value))


# げた: a registry 外字 with no character of its own, as it is loaded (docs/registry-links.md).
GETA = "〓"


def matches_with_substitutes(
    registered: str, carried: str, positions: frozenset[int] | None
) -> bool:
    """Whether the registry's value and the certificate's are the same once folded, where a
    character at a 代替文字 position of ``carried`` stands for any one character.
    ``positions`` None means the card uses substitutes we cannot place: it may differ."""
    if positions is None:
        return True
    if GETA in registered:
        # The registry's own 外字 with no character (〓): that place matches any one
        # character of the card's; with substitutes on the card too, nothing is certain.
        if positions:
            return True
        wildcard = ".".join(re.escape(normalize_for_match(p)) for p in registered.split(GETA))
        return re.fullmatch(wildcard, normalize_for_match(carried)) is not None
    if not positions:
        return normalize_for_match(registered) == normalize_for_match(carried)
    pattern, start = [], 0
    for index in sorted(positions):
        pattern.append(re.escape(normalize_for_match(carried[start:index])))
        pattern.append(".")
        start = index + 1
    pattern.append(re.escape(normalize_for_match(carried[start:])))
    return re.fullmatch("".join(pattern), normalize_for_match(registered)) is not None
