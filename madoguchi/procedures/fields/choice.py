"""One of the catalog's choices."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import FieldType, register


@register
class Choice(FieldType):
    name = "choice"
    label = gettext_lazy("選択肢")

    def max_length(self, field: dict[str, Any]) -> int:
        return max(len(choice) for choice in field["choices"])

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        if value not in field["choices"]:
            return [_("選択肢にない値です")]
        # A choice the form offers but the office cannot accept, with the reason the clerk
        # gives (公務員 claim 児童手当 from their employer): flagged, for the clerk to answer.
        refused = field.get("refused", {}).get(value)
        return [str(refused)] if refused else []

    def may_carry(self, field: dict[str, Any], value: str) -> bool:
        return value in field["choices"]

    def catalog_problem(self, field: dict[str, Any]) -> str | None:
        if not field.get("choices"):
            return _("項目「%(id)s」に choices がありません") % {"id": field["id"]}
        refused = field.get("refused", {})
        if (
            not isinstance(refused, dict)
            or not set(refused) <= set(field["choices"])
            or not all(isinstance(reason, str) and reason for reason in refused.values())
        ):
            return _("項目「%(id)s」の refused は choices の値と理由の表です") % {"id": field["id"]}
        return None
