"""A clerk's session in Chromium: the idle warning and 「続ける」, the timeout, and the text
typed before it put back after signing in again — on the page the clerk was on, not on a
POST-only address (no 405)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from tests.browser import BROWSER_MARKS, login

pytestmark = BROWSER_MARKS

MESSAGE = "児童の住民票の写しを添付してください。"


@pytest.fixture
def detail(trusted) -> str:
    path = next(g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(path.read_bytes(), path.name)
    return f"/applications/{Application.objects.get().receipt_number}/"


def test_the_idle_warning_continues_the_session_then_the_timeout_keeps_the_typed_text(
    live_server, page, counter_clerk, detail, settings
):
    settings.SESSION_IDLE_SECONDS = 8
    settings.SESSION_WARNING_SECONDS = 5
    login(page, live_server.url, counter_clerk.username)
    page.goto(live_server.url + detail)
    page.get_by_label("申請者へのメッセージ", exact=False).fill(MESSAGE)

    warning = page.get_by_test_id("session-warning")
    expect(warning).to_be_visible(timeout=8000)
    expect(warning).to_contain_text("まもなく自動的にログアウトします")
    page.get_by_role("button", name="続ける").click()
    expect(warning).to_be_hidden()
    assert page.url == live_server.url + detail

    # Left alone this time: the warning, then the login page saying why.
    expect(warning).to_be_visible(timeout=8000)
    page.wait_for_url("**/login/**", timeout=10000)
    expect(page.get_by_test_id("logout-reason")).to_contain_text("しばらく操作がなかった")

    login(page, live_server.url, counter_clerk.username, on_login_page=True)
    assert page.url == live_server.url + detail
    expect(page.get_by_label("申請者へのメッセージ", exact=False)).to_have_value(MESSAGE)
    expect(page.get_by_test_id("draft-restored")).to_be_visible()


def test_a_form_sent_after_the_session_ended_is_kept_and_returns_to_its_page(
    live_server, page, counter_clerk, detail
):
    login(page, live_server.url, counter_clerk.username)
    page.goto(live_server.url + detail)
    page.get_by_label("審査中").check()
    page.get_by_label("申請者へのメッセージ", exact=False).fill(MESSAGE)
    # The session is gone (another tab signed out, the server restarted its sessions …).
    page.context.clear_cookies(name="sessionid")
    page.get_by_test_id("change-status").click()

    page.wait_for_url("**/login/**")
    expect(page.get_by_test_id("logout-reason")).to_contain_text("有効期限が切れました")
    login(page, live_server.url, counter_clerk.username, on_login_page=True)
    assert page.url == live_server.url + detail  # the page, not its POST-only address
    expect(page.get_by_label("申請者へのメッセージ", exact=False)).to_have_value(MESSAGE)
    expect(page.get_by_label("審査中")).to_be_checked()

    # Sent now, and answered: the kept text is let go.
    page.get_by_test_id("change-status").click()
    expect(page.get_by_test_id("status")).to_have_text("審査中")
    page.reload()
    expect(page.get_by_label("申請者へのメッセージ", exact=False)).to_have_value("")
