"""The API's one error form: ``{"error": code, "message": Japanese text}``."""

from __future__ import annotations

from django.http import JsonResponse


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)
