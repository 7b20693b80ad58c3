"""Numbers typed as half-width digits: 半角数字, 法人番号, 個人番号."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.lib.codes import is_digits, is_valid_corporate_number
from madoguchi.lib.mynumber import parse_my_number

from .base import FieldType, register


@register
class Digits(FieldType):
    """Half-width digits; ``length`` fixes how many."""

    name = "digits"
    label = gettext_lazy("半角数字")
    ascii_only = True
    default_max_length = 10
    inputmode = "numeric"

    def max_length(self, field: dict[str, Any]) -> int:
        if field.get("length"):
            return int(field["length"])
        return super().max_length(field)

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        length = field.get("length")
        if not is_digits(value):
            return [_("半角数字で入力してください")]
        if length and len(value) != length:
            return [_("%(n)d 桁の数字で入力してください") % {"n": length}]
        return []


@register
class CorporateNumber(FieldType):
    name = "corporate_number"
    label = gettext_lazy("法人番号")
    ascii_only = True
    longest = 13
    inputmode = "numeric"

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        if not is_valid_corporate_number(value):
            return [_("法人番号が正しくありません(半角数字13桁・検査用数字)")]
        return []


@register
class MyNumber(FieldType):
    """個人番号: kept encrypted, masked on every screen (applications/sealing.py;
    docs/catalog.md), given in clear only to the core system and audited readers."""

    name = "my_number"
    label = gettext_lazy("個人番号")
    ascii_only = True
    longest = 12
    inputmode = "numeric"
    hint = gettext_lazy("12桁の数字")
    sealed = True

    def errors(self, field: dict[str, Any], value: str) -> list[str]:
        if not is_digits(value, 12):
            return [_("個人番号は半角数字12桁で入力してください")]
        if parse_my_number(value) is None:
            return [_("個人番号が正しくありません。番号を確かめてください")]
        return []
