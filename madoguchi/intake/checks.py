"""`madoguchi check`: what intake needs from the configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

from madoguchi.lib.codes import is_prefecture_code, is_valid_municipality_code


@register()
def municipality_code(app_configs: Any, **kwargs: Any) -> list[Warning | Error]:
    code = settings.MUNICIPALITY_CODE
    if not code:
        return [
            Warning(
                "MADOGUCHI_MUNICIPALITY_CODE が設定されていません。"
                "すべての申請が municipality_mismatch で隔離されます",
                id="madoguchi.W001",
            )
        ]
    if not is_valid_municipality_code(code):
        return [
            Error(
                f"MADOGUCHI_MUNICIPALITY_CODE {code!r} は地方公共団体コード"
                "(半角数字6桁・検査数字)ではありません",
                id="madoguchi.E001",
            )
        ]
    prefecture = is_prefecture_code(code)
    if prefecture and not settings.PREFECTURE_MODE:
        return [
            Warning(
                f"{code} は都道府県の団体コードです。都道府県には番号紐付情報がないため、"
                "MADOGUCHI_PREFECTURE_MODE=1 にしてください",
                id="madoguchi.W002",
            )
        ]
    if settings.PREFECTURE_MODE and not prefecture:
        return [
            Warning(
                f"都道府県モードですが、{code} は市区町村の団体コードです。"
                "市区町村なら MADOGUCHI_PREFECTURE_MODE を外してください",
                id="madoguchi.W003",
            )
        ]
    return []
