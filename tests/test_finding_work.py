"""Finding work in the inbox: 新着 (not yet opened by me), 本日受付 / 今週 / 今月 that stay
relative in a saved search, 補正回答あり, a 補正 answer's own 受付番号, and the list as an
audited, spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.forms import period_start
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.lib.wareki import to_wareki_short
from madoguchi.vocabulary import Status
from tests.factories import make_application, make_reply

pytestmark = pytest.mark.django_db


def listed(response) -> set[str]:
    return {row["receipt_number"] for row in response.context["rows"]}


def test_new_is_per_clerk_and_ends_when_they_open_it(client, catalog, counter_clerk, reviewer):
    first, second = make_application(), make_application(name="佐藤　一郎")
    sign_in(client, counter_clerk)
    assert listed(client.get("/applications/", {"unread": "on"})) == {
        first.receipt_number,
        second.receipt_number,
    }
    client.get(f"/applications/{first.receipt_number}/")
    client.get(f"/applications/{first.receipt_number}/")  # a second view changes nothing
    page = client.get("/applications/")
    assert {r["receipt_number"]: r["unread"] for r in page.context["rows"]} == {
        first.receipt_number: False,
        second.receipt_number: True,
    }
    assert listed(client.get("/applications/", {"unread": "on"})) == {second.receipt_number}
    sign_in(client, reviewer)  # still 新着 for a colleague
    assert first.receipt_number in listed(client.get("/applications/", {"unread": "on"}))


def test_periods_are_relative_to_today(client, catalog, counter_clerk):
    now = timezone.now()
    today = make_application(received_at=now)
    long_ago = make_application(received_at=now - dt.timedelta(days=40))
    sign_in(client, counter_clerk)
    for period in ("today", "week", "month"):
        found = listed(client.get("/applications/", {"period": period}))
        assert today.receipt_number in found and long_ago.receipt_number not in found
    assert period_start("week", dt.date(2026, 12, 3)) == dt.date(2026, 11, 30)  # Monday
    assert period_start("month", dt.date(2026, 12, 3)) == dt.date(2026, 12, 1)


def test_an_answered_correction_is_marked_and_found_by_its_own_number(
    client, catalog, counter_clerk
):
    answered = make_application(status=Status.IN_REVIEW)
    make_application(name="佐藤　一郎", status=Status.IN_REVIEW)
    make_reply(answered, "2026120100000777")
    sign_in(client, counter_clerk)
    page = client.get("/applications/", {"answered": "on"})
    assert listed(page) == {answered.receipt_number}
    assert 'data-testid="answered"' in page.content.decode()
    assert listed(client.get("/applications/", {"q": "2026120100000777"})) == {
        answered.receipt_number
    }


def test_the_list_downloads_as_a_safe_csv_and_the_download_is_audited(
    client, catalog, counter_clerk
):
    make_application(name="=HYPERLINK(1)", kana="カナ")
    make_application(name="佐藤　一郎", kana="サトウ　イチロウ")
    sign_in(client, counter_clerk)
    response = client.get("/applications/", {"q": "サトウ", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert rows[0][:4] == ["受付番号", "手続", "申請者", "カナ"]
    assert [r[2] for r in rows[1:]] == ["佐藤　一郎"]
    everything = client.get("/applications/", {"format": "csv"}).content.decode("utf-8")
    assert "\n=HYPERLINK" not in everything and ",=HYPERLINK" not in everything
    exported = AuditEvent.objects.filter(action=AuditAction.APPLICATION_LIST_EXPORTED)
    assert [(e.actor, e.extra["count"]) for e in exported] == [
        (counter_clerk, 1),
        (counter_clerk, 2),
    ]
    assert exported.first().extra["filters"] == "q=%E3%82%B5%E3%83%88%E3%82%A6"


def test_each_row_says_how_many_office_days_are_left(catalog):
    from madoguchi.applications.views.inbox import days_left

    today = dt.date(2026, 12, 1)  # a Tuesday
    waiting = make_application()
    waiting.due_date = dt.date(2026, 12, 4)
    assert days_left(waiting, "開庁日", today, []) == "あと3開庁日"
    waiting.due_date = dt.date(2026, 11, 27)  # the Friday before
    assert days_left(waiting, "開庁日", today, []) == "2開庁日超過"
    assert days_left(waiting, "暦日", today, []) == "4日超過"
    waiting.due_date = today
    assert days_left(waiting, "開庁日", today, []) == "本日まで"
    waiting.status = Status.CORRECTION_REQUESTED
    assert days_left(waiting, "開庁日", today, []) == "補正中(期限停止)"
    waiting.status = Status.COMPLETED
    assert days_left(waiting, "開庁日", today, []) == ""


def test_the_birth_date_column_comes_from_the_signed_form(client, trusted, counter_clerk):
    from madoguchi.intake.actions import import_package

    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    sign_in(client, counter_clerk)
    rows = client.get("/applications/").context["rows"]
    assert rows
    for row in rows:
        application = Application.objects.get(receipt_number=row["receipt_number"])
        field = application.procedure.field_for("applicant.birth_date")
        # 和暦, as staff read them (西暦 at the clerk's choice).
        assert row["birth_date"] == to_wareki_short(dt.date.fromisoformat(application.form[field]))
