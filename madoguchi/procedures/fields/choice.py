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
        return []

    def may_carry(self, field: dict[str, Any], value: str) -> bool:
        return value in field["choices"]

    def catalog_problem(self, field: dict[str, Any]) -> str | None:
        if not field.get("choices"):
            return _("項目「%(id)s」に choices がありません") % {"id": field["id"]}
        return None
