"""Free text and 全角カタカナ."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.lib import windows31j

from .base import FieldType, register

# 全角カタカナ as core systems take it: ァ–ヶ (with ヴ ヵ ヶ), the long mark ー, the middle
# dot ・ of foreign names, and spaces — not ゠ (U+30A0), ヷ–ヺ (U+30F7–30FA) or ヿ, which
# JIS X 0208 and CP932 do not have.
KANA_RE = re.compile(r"[\u30A1-\u30F6\u3000 ー・]+")


def outside_cp932(value: str) -> list[str]:
    """The characters of a value that CP932 (as Windows writes it) cannot hold, each once."""
    found = []
    for character in dict.fromkeys(value):
        try:
            character.encode(windows31j.NAME)
        except UnicodeEncodeError:
            found.append(character)
    return found


def _named(character: str) -> str:
    """「𠮷」(U+20BB7); a character with no glyph of its own (a control, a bidi or format
    character, a combining mark or variation selector) by its code alone, never as itself."""
    code = f"(U+{ord(character):04X})"
    if unicodedata.category(character)[0] in "CZ" or unicodedata.category(character) == "Mn":
        return code
    return f"「{character}」{code}"


@register
class Text(FieldType):
    name = "text"
    label = gettext_lazy("文字")

    def warnings(
        self, field: dict[str, Any], value: str, fields: list[dict[str, Any]], form: dict[str, str]
    ) -> list[str]:
        """A character a CP932 core system cannot take (𠮷 鷗 ¥, an emoji, a variation
        selector): the applicant signed it, so it stays; the clerk hears of it now rather
        than when the record is held back at hand-over."""
        found = outside_cp932(value)
        if not found:
            return []
        shown = "、".join(_named(c) for c in found)
        return [
            _(
                "%(chars)s は CP932 で連携する基幹システムに送れません。"
                "外字表で置き換えを決めるか、転記してください"
            )
            % {"chars": shown}
        ]


@register
class Kana(FieldType):
    name = "kana"
    label = gettext_lazy("全角カタカナ")
    hint = gettext_lazy("全角カタカナ")

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        if not KANA_RE.fullmatch(value):
            return [_("全角カタカナで入力してください")]
        return []
