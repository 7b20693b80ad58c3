"""The API's OpenAPI 3.1 description, generated from the operations' declarations (the staff
API here, the pull API in linking); `docs/openapi.json` is this, committed (a test checks, and
`madoguchi api openapi` writes it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from madoguchi.endpoints import openapi
from madoguchi.linking import pull_api

from . import views

INFO = {
    "title": "madoguchi API",
    "version": "1",
    "description": "申請管理システムの照会・ステータス管理 API。職員ごとの API トークン"
    "(Authorization: Bearer)で認証し、所属の範囲だけを返す。基幹システムは基幹システム用"
    "トークンで方式3の連携(/core-systems/…)を使う。",
}
SERVER = "/api/v1"
ROUTERS = (views.router, pull_api.router)


def schema() -> dict[str, Any]:
    return openapi(INFO, SERVER, *ROUTERS)


@require_GET
def served(request: HttpRequest) -> JsonResponse:
    return JsonResponse(schema(), json_dumps_params={"ensure_ascii": False, "indent": 2})
