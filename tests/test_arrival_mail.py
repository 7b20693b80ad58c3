"""新着メール: each clerk chooses per procedure; the mail tells the count and a link only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.models import ArrivalSubscription
from madoguchi.applications.tasks import send_arrival_mails
from tests.factories import make_application

pytestmark = pytest.mark.django_db


def test_a_clerk_subscribes_and_is_told_how_many_arrived_with_no_personal_data(
    client, catalog, counter_clerk, settings
):
    settings.SITE_URL = "https://madoguchi.example.lg.jp"
    counter_clerk.email = "clerk@example.lg.jp"
    counter_clerk.save()
    sign_in(client, counter_clerk)
    page = client.get("/applications/arrival-mail/").content.decode()
    assert 'name="mail-jidou-teate-nintei"' in page and 'name="mail-kaigo-nintei"' not in page
    client.post("/applications/arrival-mail/", {"mail-jidou-teate-nintei": "immediate"})
    subscription = ArrivalSubscription.objects.get(user=counter_clerk)
    assert subscription.frequency == "immediate"

    make_application(name="山田　花子", received_at=timezone.now() + dt.timedelta(seconds=1))
    make_application(name="佐藤　一郎", received_at=timezone.now() + dt.timedelta(seconds=1))
    make_application("kaigo-nintei", name="鈴木　次郎")  # another department's procedure
    later = timezone.now() + dt.timedelta(seconds=5)
    assert send_arrival_mails(later) == 1
    [message] = mail.outbox
    assert message.to == ["clerk@example.lg.jp"] and "2 件" in message.subject
    body = message.subject + message.body
    assert "山田" not in body and "佐藤" not in body and "2026113" not in body
    assert "https://madoguchi.example.lg.jp/applications/?procedure=jidou-teate-nintei" in body
    assert send_arrival_mails(later + dt.timedelta(minutes=1)) == 0  # told once

    client.post("/applications/arrival-mail/", {"mail-jidou-teate-nintei": ""})
    assert not ArrivalSubscription.objects.exists()


def test_a_daily_mail_waits_for_the_morning_and_comes_once_a_day(catalog, counter_clerk, settings):
    settings.DIGEST_HOUR = 8
    counter_clerk.email = "clerk@example.lg.jp"
    counter_clerk.save()
    start = dt.datetime(2026, 12, 1, 12, 0, tzinfo=timezone.get_current_timezone())
    ArrivalSubscription.objects.create(
        user=counter_clerk, procedure_id="jidou-teate-nintei", frequency="daily"
    )
    ArrivalSubscription.objects.update(created_at=start)
    make_application(received_at=start + dt.timedelta(hours=3))
    assert send_arrival_mails(start + dt.timedelta(hours=4)) == 0  # the same day: tomorrow
    next_morning = dt.datetime(2026, 12, 2, 7, 0, tzinfo=timezone.get_current_timezone())
    assert send_arrival_mails(next_morning) == 0  # before DIGEST_HOUR
    assert send_arrival_mails(next_morning + dt.timedelta(hours=2)) == 1
    assert send_arrival_mails(next_morning + dt.timedelta(hours=5)) == 0
