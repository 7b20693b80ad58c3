"""What the screens of every app share (low in the layer order, beside the vocabulary)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest


@contextmanager
def refusals_as_messages(request: HttpRequest) -> Iterator[None]:
    """An action's refusal (a ValidationError) becomes an error message on the next page."""
    try:
        yield
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
