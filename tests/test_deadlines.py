"""処理期限 (DESIGN.md §8): counted from the day after 到達, in 開庁日 or 暦日 as the catalog
says, and stopped while an application waits for the applicant's 補正."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.actions import workflow
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from madoguchi.lib.office_calendar import (
    BUSINESS,
    CALENDAR,
    counted_days,
    deadline,
    is_office_day,
)
from madoguchi.procedures.catalog import BUILTIN_DIR, load_catalog
from madoguchi.vocabulary import Status
from tests.builders import build, spec
from tests.factories import make_application

D = dt.date
JST = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (D(2026, 12, 1), True),  # a Tuesday
        (D(2026, 12, 5), False),  # Saturday
        (D(2026, 12, 29), False),  # 年末
        (D(2027, 1, 3), False),  # 年始
        (D(2027, 1, 4), True),
        (D(2026, 11, 23), False),  # 勤労感謝の日
        (D(2026, 5, 6), False),  # 振替休日 (5/3 was a Sunday)
        (D(2026, 9, 22), False),  # 国民の休日 (between 敬老の日 and 秋分の日)
        (D(2027, 3, 22), False),  # 振替休日 of 春分の日
    ],
)
def test_the_office_calendar(day, open_):
    assert is_office_day(day) is open_


def test_a_deadline_in_office_days_skips_weekends_holidays_and_the_new_year():
    # Fri 11/20 arrives; 11/23 is a holiday; 12/29–1/3 closed: the 30th office day is 1/8.
    assert deadline(D(2026, 11, 20), 30, BUSINESS) == D(2027, 1, 8)
    assert deadline(D(2026, 12, 25), 1, BUSINESS) == D(2026, 12, 28)
    assert deadline(D(2026, 12, 28), 1, BUSINESS) == D(2027, 1, 4)
    assert deadline(D(2026, 5, 1), 1, BUSINESS) == D(2026, 5, 7)  # GW with its 振替休日


def test_a_deadline_in_calendar_days_counts_every_day_from_the_next():
    assert deadline(D(2026, 12, 1), 30, CALENDAR) == D(2026, 12, 31)


def test_a_day_the_municipality_closes_does_not_count():
    assert deadline(D(2026, 12, 1), 1, BUSINESS, closed=[D(2026, 12, 2)]) == D(2026, 12, 3)
    assert counted_days(D(2026, 12, 1), D(2026, 12, 4), BUSINESS, closed=[D(2026, 12, 2)]) == 2


@pytest.mark.django_db
def test_the_deadline_runs_from_arrival_not_from_import(trusted):
    """Arrived Friday 11/20 (the portal's time), imported today: 30 office days from 11/20."""
    arrived = dt.datetime(2026, 11, 20, 16, 30, tzinfo=JST)
    import_package(
        build(trusted.ca, spec("2026112000000001", submitted_at=arrived)),
        "a.zip",
        fetched_at=arrived,
    )
    application = Application.objects.get()
    assert application.procedure.processing_days == 30
    assert application.due_date == D(2027, 1, 8)


def corrected(
    trusted, reviewer, monkeypatch, receipt: str, asked: dt.datetime, answered: dt.datetime
) -> Application:
    """Arrived Friday 11/20 (due 1/8), returned for 補正 at ``asked``, answered at
    ``answered``."""
    arrived = dt.datetime(2026, 11, 20, 16, 30, tzinfo=JST)
    package = build(trusted.ca, spec(receipt, submitted_at=arrived))
    import_package(package, "a.zip", fetched_at=arrived)
    application = Application.objects.get(receipt_number=receipt)
    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(application.pk, Status.CORRECTION_REQUESTED, actor=reviewer, reason="印鑑")
    Application.objects.filter(pk=application.pk).update(status_changed_at=asked)
    monkeypatch.setattr(workflow.timezone, "now", lambda: answered)
    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    application.refresh_from_db()
    return application


@pytest.mark.django_db
def test_the_clock_stops_while_the_applicant_corrects(trusted, reviewer, monkeypatch):
    # Returned on Friday 11/27, answered on Tuesday 12/1: 11/30 and 12/1 are the applicant's
    # time, so the deadline 1/8 moves two office days (1/11 is 成人の日): 1/13.
    application = corrected(
        trusted,
        reviewer,
        monkeypatch,
        "2026112000000002",
        asked=dt.datetime(2026, 11, 27, 10, 0, tzinfo=JST),
        answered=dt.datetime(2026, 12, 1, 9, 0, tzinfo=JST),
    )
    assert application.due_date == D(2027, 1, 13)


@pytest.mark.django_db
def test_a_correction_asked_for_after_the_deadline_leaves_it_overdue(
    trusted, reviewer, monkeypatch
):
    """Due 1/8; the 補正 is asked for on 1/12, answered on 1/19: still due 1/8, overdue."""
    application = corrected(
        trusted,
        reviewer,
        monkeypatch,
        "2026112000000003",
        asked=dt.datetime(2027, 1, 12, 10, 0, tzinfo=JST),
        answered=dt.datetime(2027, 1, 19, 9, 0, tzinfo=JST),
    )
    assert application.due_date == D(2027, 1, 8)
    # Asked for on the last day itself: the clock stops, the deadline moves.
    Application.objects.filter(pk=application.pk).update(
        status=Status.CORRECTION_REQUESTED,
        status_changed_at=dt.datetime(2027, 1, 8, 17, 0, tzinfo=JST),
    )
    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    application.refresh_from_db()
    assert application.due_date > D(2027, 1, 8)


def test_closed_days_are_read_strictly():
    from madoguchi.settings import _closed_days

    assert _closed_days("2026-12-02, 2026-12-03\n") == ["2026-12-02", "2026-12-03"]
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        _closed_days("2026/12/02")


def test_a_catalog_entry_names_its_unit():
    import tomllib
    from pathlib import Path

    from madoguchi.procedures.schema import CatalogError, check_definition

    entry = Path(__file__).parent.parent / "madoguchi/procedures/catalog/ninshin-todokede"
    definition = tomllib.loads((entry / "2026.2.toml").read_text(encoding="utf-8"))
    check_definition(definition | {"processing_days_unit": "暦日"}, "x.toml")
    with pytest.raises(CatalogError, match="開庁日"):
        check_definition(definition | {"processing_days_unit": "週"}, "x.toml")


@pytest.mark.django_db
def test_the_inbox_counts_each_procedures_days_in_its_own_unit(
    catalog: None, tmp_path, client, counter_clerk
) -> None:
    """A 暦日 procedure beside the 開庁日 ones: the list reads each one's unit."""
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.1.toml").read_text(encoding="utf-8")
    calendar = tmp_path / "calendar.toml"
    calendar.write_text(
        source.replace('version = "2026.1"', 'version = "2099.1"').replace(
            "processing_days = 30", 'processing_days = 30\nprocessing_days_unit = "暦日"'
        ),
        encoding="utf-8",
    )
    load_catalog([calendar])
    today = timezone.localdate()
    counted = make_application("jidou-teate-nintei")
    assert counted.procedure.processing_unit == "暦日"
    business = make_application("jidou-teate-gakukaitei")
    Application.objects.update(due_date=today + dt.timedelta(days=10))
    sign_in(client, counter_clerk)
    page = client.get("/applications/").content.decode()
    row = page[page.index(f'data-receipt-number="{counted.receipt_number}"') :]
    assert "あと10日" in row[: row.index("</tr>")]
    row = page[page.index(f'data-receipt-number="{business.receipt_number}"') :]
    assert "開庁日" in row[: row.index("</tr>")]


def test_a_span_counts_office_days_as_counting_each_period_does():
    """The inbox counts a page's periods from running totals over one span: the same numbers
    as counted_days for every period inside it, both units, a closed day of the city's, the
    year's end; outside the span it counts as counted_days does."""
    from madoguchi.lib.office_calendar import CALENDAR, OfficeDayCounter

    closed = [D(2026, 12, 2)]
    first, last = D(2026, 11, 20), D(2027, 2, 15)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    for unit in (BUSINESS, CALENDAR):
        counter = OfficeDayCounter(first, last, unit, closed)
        for start in days[::3]:
            for end in days[::4]:
                assert counter.count(start, end) == counted_days(start, end, unit, closed), (
                    unit,
                    start,
                    end,
                )
        assert counter.count(D(2026, 1, 1), D(2027, 3, 1)) == counted_days(
            D(2026, 1, 1), D(2027, 3, 1), unit, closed
        )
