"""The API's one error form: ``{"error": code, "message": Japanese text}``, and for a form
refused item by item, ``"fields": {item id: [reasons]}``."""

from __future__ import annotations

from django.http import JsonResponse


def error(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    body: dict[str, object] = {"error": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return JsonResponse(body, status=status)
