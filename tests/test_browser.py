"""Browser tests: a clerk's path through the staff screens, in Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import PASSWORD
from madoguchi.applications.constants import Status
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.pipeline import import_package
from madoguchi.lib import totp

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # test body are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    if "/second-factor/" in page.url:
        # First sign-in of a role that reads 個人番号: enrol the key as an authenticator app would.
        secret = page.get_by_test_id("totp-secret").inner_text()
        page.get_by_label("確認コード(6桁)").fill(totp.code_at(secret, totp.counter_now()))
        page.get_by_role("button", name="確認").click()


def test_a_reviewer_opens_an_application_changes_its_status_and_sees_the_audit_record(
    live_server, page, trusted, reviewer
):
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    mine = Application.objects.filter(procedure__department=reviewer.department)
    target = mine.order_by("receipt_number").first()

    login(page, live_server.url, reviewer.username)
    rows = page.locator("[data-testid=application-list] tbody tr[data-receipt-number]")
    expect(rows).to_have_count(mine.count())
    page.get_by_role("link", name=target.receipt_number).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(target.receipt_number)
    expect(page.get_by_test_id("identification")).to_have_text("特定済")
    page.get_by_label("審査中").check()
    page.get_by_test_id("change-status").click()
    expect(page.get_by_test_id("status")).to_have_text("審査中")
    expect(page.get_by_test_id("timeline")).to_contain_text("ステータス変更")
    expect(page.get_by_test_id("timeline")).to_contain_text(reviewer.username)

    target.refresh_from_db()
    assert target.status == Status.IN_REVIEW
    change = AuditEvent.objects.get(
        action=AuditAction.APPLICATION_STATUS_CHANGED, target_id=target.receipt_number
    )
    assert (change.actor, change.extra["to"]) == (reviewer, "in_review")
    assert AuditEvent.objects.filter(
        action=AuditAction.APPLICATION_VIEWED, target_id=target.receipt_number, actor=reviewer
    ).exists()


def test_a_clerk_of_another_department_neither_lists_nor_opens_it(
    live_server, page, trusted, kaigo_clerk
):
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    other = Application.objects.filter(procedure__procedure_id="jidou-teate-nintei").first()
    login(page, live_server.url, kaigo_clerk.username)
    expect(page.locator(f"tr[data-receipt-number='{other.receipt_number}']")).to_have_count(0)
    response = page.goto(f"{live_server.url}/applications/{other.receipt_number}/")
    assert response is not None and response.status == 404


def test_the_stylesheet_is_served(live_server, page):
    page.goto(f"{live_server.url}/login/")
    href = page.locator("link[rel=stylesheet]").get_attribute("href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200
    assert "text/css" in response.headers["content-type"]


def test_a_wrong_password_gets_a_japanese_message(live_server, page, reviewer):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("ユーザー名").fill(reviewer.username)
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "ユーザー名またはパスワードが正しくありません"
    )
