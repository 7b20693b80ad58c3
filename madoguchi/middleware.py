"""Response headers Django 5.2 does not set by itself (HSTS it does: SECURE_HSTS_SECONDS),
and requests refused before any view (NUL anywhere)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

# No inline script or style anywhere: every page loads its CSS (and later its JS) as files.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # blob: only for what the browser itself shows of a file the clerk chose (郵送's
        # scan before it is filed: mailscan.js).
        "img-src 'self' data: blob:",
        "frame-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return any("\x00" in v for values in request.POST.lists() for v in values[1])
    if request.content_type == "application/json":
        return b"\\u0000" in request.body or b"\x00" in request.body
    return False


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            # No value here may hold NUL (PostgreSQL refuses it in text): refused up front,
            # in the API's own error form under /api/.
            message = _("リクエストに使えない文字 (NUL) が含まれています")
            response: HttpResponse = (
                JsonResponse({"error": "invalid_request", "message": message}, status=400)
                if request.path.startswith("/api/")
                else HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
            )
        else:
            response = self.get_response(request)
        if request.path.startswith("/api/"):
            # API answers carry personal data and authenticate by token, not by session.
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages with personal data stay out of shared caches and the browser's history cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
