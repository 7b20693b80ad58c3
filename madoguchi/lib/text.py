"""Japanese text normalisation for comparison (never for storage)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u3000]+")
# Old (旧字) and variant forms that registries and certificates spell differently.
_VARIANTS = str.maketrans(
    {
        "髙": "高",
        "﨑": "崎",
        "嵜": "崎",
        "邊": "辺",
        "邉": "辺",
        "齋": "斎",
        "齊": "斉",
        "澤": "沢",
        "濱": "浜",
        "櫻": "桜",
        "國": "国",
        "廣": "広",
        "德": "徳",
        "槇": "槙",
        "眞": "真",
        "惠": "恵",
        "龍": "竜",
        "𠮷": "吉",
        "冨": "富",
        "﨔": "欅",
    }
)


def hiragana_to_katakana(value: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in value)


def normalize_for_match(value: str) -> str:
    """Width-, space-, kana- and variant-insensitive form of a name or address."""
    value = unicodedata.normalize("NFKC", value)
    value = hiragana_to_katakana(value.translate(_VARIANTS))
    return _SPACES.sub("", value)
