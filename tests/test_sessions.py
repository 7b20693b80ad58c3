"""Sessions end after idle time (and at an absolute limit), say why, and bring the clerk
back to the page they were on — never to a POST-only address."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from conftest import sign_in
from madoguchi.accounts.session import LAST_SEEN, SIGNED_IN_AT
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(trusted) -> Application:
    path = next(g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(path.read_bytes(), path.name)
    return Application.objects.get()


def age(client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def test_an_idle_session_ends_and_the_login_page_says_why(client, counter_clerk, settings):
    sign_in(client, counter_clerk)
    assert client.get("/applications/").status_code == 200
    age(client, LAST_SEEN, settings.SESSION_IDLE_SECONDS + 1)
    search = "/applications/?q=%E5%B1%B1%E7%94%B0"  # 山田, as a browser sends it
    answer = client.get(search)
    assert answer.status_code == 302
    assert answer["Location"] == f"/login/?{urlencode({'next': search, 'reason': 'idle'})}"
    page = client.get(answer["Location"]).content.decode()
    assert "しばらく操作がなかったため、ログアウトしました" in page
    assert f'name="next" value="{search}"' in page
    event = AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).get()
    assert (event.actor, event.extra) == (counter_clerk, {"reason": "idle"})


def test_activity_keeps_it_and_asking_for_the_time_left_does_not(client, counter_clerk, settings):
    sign_in(client, counter_clerk)
    client.get("/applications/")
    age(client, LAST_SEEN, settings.SESSION_IDLE_SECONDS - 100)
    left = client.get("/session/status/").json()["remaining"]
    assert 90 <= left <= 100
    assert client.get("/session/status/").json()["remaining"] <= left
    client.post("/session/keepalive/")
    assert client.get("/session/status/").json()["remaining"] > settings.SESSION_IDLE_SECONDS - 5


def test_the_absolute_limit_ends_a_busy_session(client, counter_clerk, settings):
    sign_in(client, counter_clerk)
    client.get("/applications/")
    age(client, SIGNED_IN_AT, settings.SESSION_ABSOLUTE_SECONDS + 1)
    answer = client.get("/applications/")
    assert answer["Location"].endswith("reason=absolute")


def test_a_form_sent_after_the_session_ended_returns_to_its_page_not_to_a_post_address(
    client, counter_clerk, application, settings
):
    detail = f"/applications/{application.receipt_number}/"
    sign_in(client, counter_clerk)
    client.get(detail)
    age(client, LAST_SEEN, settings.SESSION_IDLE_SECONDS + 1)
    sent = client.post(
        f"{detail}transition/",
        {"to_status": "correction_requested", "reason": "添付を追加してください"},
        HTTP_REFERER=f"http://testserver{detail}",
    )
    assert sent["Location"] == f"/login/?next={detail.replace('/', '%2F')}&reason=idle"
    application.refresh_from_db()
    assert application.status == "received"


def test_a_form_sent_with_no_session_at_all_returns_to_its_page(client, application):
    detail = f"/applications/{application.receipt_number}/"
    sent = client.post(
        f"{detail}transition/",
        {"to_status": "in_review"},
        HTTP_REFERER=f"http://testserver{detail}",
    )
    assert sent["Location"] == f"/login/?next={detail.replace('/', '%2F')}&reason=expired"
    # A Referer of another site is never followed.
    sent = client.post(f"{detail}transition/", {}, HTTP_REFERER="https://evil.example/x")
    assert sent["Location"] == "/login/?next=%2F&reason=expired"


def test_the_second_factor_page_shows_no_menu(client, reviewer):
    client.force_login(reviewer)
    page = client.get("/second-factor/").content.decode()
    assert "二要素認証" in page
    assert "メインメニュー" not in page and "申請一覧" not in page
