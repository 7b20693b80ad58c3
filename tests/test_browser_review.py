"""A reviewer's screens as they are lived on a municipal PC: Chromium at 1366×768 with the
Japanese font, the inbox dense enough to work from without scrolling."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page

from madoguchi.procedures.models import Procedure
from tests.browser import BROWSER_MARKS, login
from tests.factories import make_application
from tests.test_browser import accessibility_violations

pytestmark = BROWSER_MARKS

NAMES = [
    ("山田　花子", "ヤマダ　ハナコ"),
    ("髙橋　一郎", "タカハシ　イチロウ"),
    ("𠮷田　太郎", "ヨシダ　タロウ"),
    ("佐々木　美智子", "ササキ　ミチコ"),
    ("長谷川　健太郎", "ハセガワ　ケンタロウ"),
]


def visible_rows(page: Page) -> int:
    """Rows of the inbox wholly inside the window, without scrolling."""
    return int(
        page.evaluate(
            """() => [...document.querySelectorAll('[data-testid=application-list] tbody tr')]
                .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length"""
        )
    )


def test_the_inbox_shows_fifteen_rows_at_1366_by_768(live_server, page, catalog, reviewer):
    procedures = list(
        Procedure.objects.filter(department=reviewer.department).values_list(
            "procedure_id", flat=True
        )
    )
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    for n in range(30):
        name, kana = NAMES[n % len(NAMES)]
        make_application(
            procedures[n % len(procedures)],
            name=name,
            kana=kana,
            received_at=start + dt.timedelta(hours=n),
            applicant_birth_date=dt.date(1980 + n % 30, 1 + n % 12, 1 + n % 28),
        )
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server.url, reviewer.username)
    page.goto(f"{live_server.url}/applications/")
    rows = visible_rows(page)
    assert rows >= 15, f"{rows} rows without scrolling"
    # Each row one line, with its status in view.
    heights = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=application-list] tbody tr')]
            .map(r => r.getBoundingClientRect().height)"""
    )
    assert max(heights) < 2 * min(heights)
    status = page.locator("[data-testid=application-list] tbody tr").first.locator(
        ".badge.st-received"
    )
    assert status.bounding_box()["x"] + status.bounding_box()["width"] <= 1366
    # 和暦 by default, 西暦 at the clerk's choice, kept.
    assert "平成" in page.locator("[data-testid=application-list]").inner_text()
    page.get_by_test_id("date-style").click()
    assert "平成" not in page.locator("[data-testid=application-list]").inner_text()
    page.reload()
    assert "平成" not in page.locator("[data-testid=application-list]").inner_text()
    # The rest of the filters open on demand and stay as left.
    page.get_by_text("その他の条件").click()
    page.reload()
    assert page.locator("details.more-filters").evaluate("d => d.open")
    assert accessibility_violations(page) == []
