"""What the screens and the API of every app share (low in the layer order, beside the
vocabulary): an action's refusal shown as a message; the API's one error form,
``{"error": code, "message": Japanese text}``, and for a form refused item by item,
``"fields": {item id: [reasons]}``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


@contextmanager
def refusals_as_messages(request: HttpRequest) -> Iterator[None]:
    """An action's refusal (a ValidationError) becomes an error message on the next page."""
    try:
        yield
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)


def api_error(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    body: dict[str, object] = {"error": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return JsonResponse(body, status=status)


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A screen's answer to a query it cannot use (a date that is not one, a page position
    out of range): the error page with what to correct, in Japanese, status 400."""
    return render(request, "400.html", {"message": message}, status=400)
