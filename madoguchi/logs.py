"""Log lines an operator and a log collector can use: each with its time, level, process
and, inside a request, the request's id (also sent back as X-Request-ID, so a clerk's
「エラー番号」 finds its lines); MADOGUCHI_LOG_FORMAT=json writes one JSON object a line
(python-json-logger). Messages name ids (受付番号, usernames), never a resident's name,
address or 個人番号 (tests/test_logs.py)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by settings.py: nothing of Django's at run time here
    from django.http import HttpRequest, HttpResponse

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
# An id the proxy sent (nginx's $request_id) is kept when it looks like one.
GIVEN_ID = re.compile(r"[A-Za-z0-9-]{8,64}")

TEXT_FORMAT = (
    "%(asctime)s %(levelname)s %(processName)s[%(process)d] %(name)s [%(request_id)s] %(message)s"
)
JSON_FIELDS = (
    "%(asctime)s %(levelname)s %(process)d %(processName)s %(name)s %(request_id)s %(message)s"
)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if GIVEN_ID.fullmatch(given) else secrets.token_hex(8)
        # Left set after the answer: Django logs a 4xx/5xx ("Not Found: …") once the
        # middleware has returned, and the next request on this thread sets its own.
        REQUEST_ID.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def syslog_handler(address: str) -> dict[str, object]:
    """A syslog handler for ``/dev/log`` (a socket path) or ``host:port`` (UDP)."""
    if address.startswith("/"):
        target: object = address
    else:
        host, _sep, port = address.rpartition(":")
        target = (host or address, int(port) if port.isdigit() else 514)
    return {"class": "logging.handlers.SysLogHandler", "address": target, "formatter": "default"}


def logging_config(level: str, form: str, anchor_syslog: str = "") -> dict[str, object]:
    formatter: dict[str, object] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "process": "pid"},
            "json_ensure_ascii": False,
        }
        if form == "json"
        else {"format": TEXT_FORMAT}
    )
    handlers: dict[str, dict[str, object]] = {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "default",
            "filters": ["request_id"],
        }
    }
    anchors: dict[str, object] = {"level": "INFO"}
    if anchor_syslog:
        # A copy of every audit checkpoint off this host (audit/anchors.py).
        handlers["anchor_syslog"] = syslog_handler(anchor_syslog)
        anchors["handlers"] = ["anchor_syslog"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": handlers,
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The document engine reports each step of every PDF at INFO: only its problems.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
            # Speech to text names each audio's length at INFO: only its problems.
            "faster_whisper": {"level": "WARNING"},
            # At DEBUG signxml writes out the whole signed form, 個人番号 in clear: never.
            "signxml": {"level": "WARNING"},
            # SQL with its parameters (names, addresses), even at LOG_LEVEL=DEBUG: never.
            "django.db.backends": {"level": "INFO"},
            "madoguchi.audit.anchors": anchors,
        },
    }
