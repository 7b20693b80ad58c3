"""Shared by the browser tests: Debian's Chromium through Playwright, with a Japanese font
as on a clerk's PC, and signing in as a member of staff."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import PASSWORD
from madoguchi.lib import totp

CHROMIUM = "/usr/bin/chromium"
BROWSER_MARKS = [
    pytest.mark.browser,
    # What a browser shows does not depend on the database engine (scripts/test).
    pytest.mark.one_pass("sqlite"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]


def japanese_fonts() -> str:
    found = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True)
    return found.stdout.strip()


@contextlib.contextmanager
def chromium(*extra_args: str) -> Iterator[Browser]:
    """Debian's Chromium through Playwright (with ``extra_args``: a fake microphone, say)."""
    # Measured as a clerk's PC shows it, or not at all (scripts/test installs the font).
    assert japanese_fonts(), "日本語フォントがありません (Debian の fonts-ipaexfont)"
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # test body are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
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
                    *extra_args,
                ],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


def login(page: Page, base: str, username: str, *, on_login_page: bool = False) -> None:
    """Sign in; ``on_login_page``: on the login page the browser was sent to (keeping its
    ``next``)."""
    if not on_login_page:
        page.goto(f"{base}/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    if "/second-factor/" in page.url:
        # First sign-in of a role that reads 個人番号: enrol the key as an authenticator app would.
        secret = page.get_by_test_id("totp-secret").inner_text()
        page.get_by_label("確認コード(6桁)").fill(totp.code_at(secret, totp.counter_now()))
        page.get_by_role("button", name="確認").click()


def htmx_requests(page: Page) -> list[str]:
    """The addresses of the requests htmx sends from ``page`` from now on, as they go."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.headers.get("hx-request") else None)
    return asked
