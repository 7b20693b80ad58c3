"""Japanese telephone numbers."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import FieldType, register

# 10 or 11 digits starting with 0, hyphens where people put them.
PHONE_RE = re.compile(r"0[0-9]*(-[0-9]+){0,2}", re.ASCII)


@register
class Phone(FieldType):
    name = "phone"
    label = gettext_lazy("電話番号")
    ascii_only = True
    longest = 13
    input_type = "tel"
    inputmode = "tel"

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        if not (PHONE_RE.fullmatch(value) and 10 <= len(value.replace("-", "")) <= 11):
            return [_("電話番号は 0 から始まる10桁か11桁の半角数字で入力してください")]
        return []
