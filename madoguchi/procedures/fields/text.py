"""Free text and 全角カタカナ."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import FieldType, register

KANA_RE = re.compile(r"[\u30A0-\u30FF\u3000 ー・]+")


@register
class Text(FieldType):
    name = "text"
    label = gettext_lazy("文字")


@register
class Kana(FieldType):
    name = "kana"
    label = gettext_lazy("全角カタカナ")
    hint = gettext_lazy("全角カタカナ")

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        if not KANA_RE.fullmatch(value):
            return [_("全角カタカナで入力してください")]
        return []
