"""Log lines carry their time, level, process and request id, and never a resident's name,
address or 個人番号 — whatever the day's work writes to the log."""

from __future__ import annotations

import logging
import logging.config
import re
from collections.abc import Iterator

import pytest
from django.core.management import call_command

from conftest import sign_in
from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from madoguchi.logs import TEXT_FORMAT, RequestIdFilter, logging_config

pytestmark = pytest.mark.django_db


def personal_values(trusted) -> set[str]:
    """Every name, address and number the applicants signed (3 characters or more, beyond
    ASCII or 12 digits)."""
    found = set()
    for generated in trusted.generated:
        for value in generated.form.values():
            text = str(value)
            if len(text) >= 3 and (not text.isascii() or re.fullmatch(r"\d{12}", text)):
                found.add(text)
    return found


@pytest.fixture
def debug_logging(caplog, settings) -> Iterator[None]:
    """Logging at DEBUG, as an administrator chasing a problem sets it (LOG_LEVEL=DEBUG),
    with the same configuration as the processes; pytest still captures every record."""
    logging.config.dictConfig(logging_config("DEBUG", "text"))
    logging.getLogger().addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield
    logging.config.dictConfig(settings.LOGGING)


def test_a_days_work_writes_no_personal_data_to_the_log(
    trusted, client, reviewer, caplog, tmp_path, debug_logging
):
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    sign_in(client, reviewer)
    for application in Application.objects.all():
        client.get(f"/applications/{application.receipt_number}/")
        client.get(f"/applications/?q={application.applicant_name[:2]}")
        client.get(f"/applications/{application.receipt_number}/nonexistent/")
    client.get("/applications/?received_from=not-a-date")
    call_command("notices", "receipts", "--date", "2026-11-26", "--out", str(tmp_path / "r"))
    formatter = logging.Formatter(TEXT_FORMAT)
    lines = []
    for record in caplog.records:
        RequestIdFilter().filter(record)
        lines.append(formatter.format(record))
    assert lines, "nothing was logged: the test would prove nothing"
    leaked = {value for value in personal_values(trusted) for line in lines if value in line}
    assert leaked == set()


def test_each_request_carries_an_id_into_its_log_lines_and_its_answer(client, caplog, db):
    caplog.set_level(logging.WARNING)
    caplog.handler.addFilter(RequestIdFilter())  # as the console handler has it
    answer = client.get("/no-such-page/", HTTP_X_REQUEST_ID="nginx-req-0123456789")
    assert answer.status_code == 404
    assert answer["X-Request-ID"] == "nginx-req-0123456789"
    warning = next(r for r in caplog.records if r.name == "django.request")
    line = logging.Formatter(TEXT_FORMAT).format(warning)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING MainProcess\[\d+\] django.request "
        r"\[nginx-req-0123456789\] Not Found: /no-such-page/",
        line,
    ), line
    # An id from the proxy that is not an id is replaced by one of our own.
    other = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert re.fullmatch(r"[0-9a-f]{16}", other["X-Request-ID"])
