"""Dates: YYYY-MM-DD as signed, 和暦 where a clerk reads them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.lib.wareki import iso_to_wareki

from .base import FieldType, register

DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def is_date(value: str) -> bool:
    """Strictly YYYY-MM-DD (fromisoformat also takes 20261126 and 2026-W48-4)."""
    if not DATE_RE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@register
class Date(FieldType):
    name = "date"
    label = gettext_lazy("日付")
    ascii_only = True
    longest = 10
    input_type = "date"

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        if not is_date(value):
            return [_("日付は YYYY-MM-DD の形で、実在する日を入力してください")]
        # A birth date (the catalog's semantic says so) has happened.
        if str(field.get("semantic", "")).endswith("birth_date") and (
            dt.date.fromisoformat(value) > timezone.localdate()
        ):
            return [_("生年月日に未来の日付は入力できません")]
        return []

    def display(self, value: str) -> str:
        return iso_to_wareki(value) if value else value
