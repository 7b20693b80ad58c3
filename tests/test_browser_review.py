"""A reviewer's screens as they are lived on a municipal PC: Chromium at 1366×768 with the
Japanese font, the inbox dense enough to work from without scrolling."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from madoguchi.procedures.models import Procedure
from tests.browser import BROWSER_MARKS, htmx_requests, login
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
    # Columns as the clerk wants them: カナ off, 担当者 first after 受付番号.
    page.get_by_text("表示する列", exact=True).click()
    page.get_by_role("checkbox", name="カナ 表示").uncheck()
    page.get_by_role("spinbutton", name="担当者 順番").fill("1")
    page.get_by_role("spinbutton", name="手続 順番").fill("2")
    assert accessibility_violations(page) == []
    page.get_by_test_id("save-columns").click()
    head = page.locator("[data-testid=application-list] thead th")
    expect(head.nth(2)).to_have_text("担当者")
    expect(head.nth(3)).to_have_text("手続")
    assert "カナ" not in page.locator("[data-testid=application-list] thead").inner_text()


def test_the_detail_shows_the_attachment_beside_the_form_and_moves_through_the_list(
    live_server, page, trusted, reviewer
):
    """At 1366 px the form and the attachment stand side by side: the first attachment is
    shown at once (a loading state, then the picture), pages turn, it zooms and rotates; j
    and k move through the list the clerk came from, its filter kept."""
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    with_pdf = [
        a
        for a in Application.objects.filter(procedure__department=reviewer.department)
        if any(x["media_type"] == "application/pdf" for x in a.attachments)
    ]
    assert with_pdf
    target = with_pdf[0]
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server.url, reviewer.username)
    page.goto(f"{live_server.url}/applications/?procedure={target.procedure.procedure_id}")
    page.get_by_role("link", name=target.receipt_number).click()
    form = page.locator("section.card").first.bounding_box()
    viewer = page.get_by_test_id("viewer")
    box = viewer.bounding_box()
    assert box["x"] >= form["x"] + form["width"] - 1 and box["y"] < 400
    pdf = viewer.locator("button[data-pages]").first
    pdf.click()
    image = page.get_by_test_id("viewer-image")
    expect(image).to_be_visible()
    status = viewer.locator("[data-viewer-status]")
    expect(status).to_contain_text("1 / ")
    pages = int(status.inner_text().split(" / ")[1].split()[0])
    viewer.get_by_role("button", name="次のページ").click()
    expect(status).to_contain_text("2 / " if pages > 1 else "最後のページです")
    width = image.bounding_box()["width"]
    viewer.get_by_role("button", name="拡大").click()
    assert image.bounding_box()["width"] > width
    viewer.get_by_role("button", name="右に90度回転").click()
    assert "rotate(90deg)" in image.get_attribute("style")
    assert accessibility_violations(page) == []
    # j / k: the next application of the list it came from, and back.
    neighbour = page.locator("[data-testid=next-application], [data-testid=previous-application]")
    assert neighbour.count()
    key = "j" if neighbour.first.get_attribute("data-testid") == "next-application" else "k"
    following = neighbour.first.get_attribute("href")
    page.keyboard.press(key)
    page.wait_for_url(f"**{following}")
    page.keyboard.press("k" if key == "j" else "j")
    page.wait_for_url(f"**/applications/{target.receipt_number}/")
    expect(page.get_by_role("link", name="申請一覧へ戻る", exact=False)).to_have_attribute(
        "href", re.compile(r"procedure=")
    )


def test_a_routed_decision_is_drafted_returned_and_approved_on_screen(
    live_server, browser, trusted, reviewer, make_staff
):
    """電子決裁 as the people live it: the reviewer drafts 基幹連携へ承認 with a 伺い文 from
    the status panel; the 係長 finds it under 決裁待ち and returns it with a reason; drafted
    again, the 係長 and the 課長 approve and it goes to 基幹連携待ち. axe clean on the panel."""
    from madoguchi.accounts.models import Department
    from madoguchi.applications.actions.decisions import RouteStep, set_route
    from madoguchi.applications.actions.workflow import change_status
    from madoguchi.vocabulary import Role, Status

    path = next(g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(path.read_bytes(), path.name)
    application = Application.objects.get()
    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    kakaricho = make_staff("kakaricho", Role.REVIEWER, "kosodate")
    kacho = make_staff("kacho", Role.MANAGER, "kosodate")
    steps = [RouteStep("係長", kakaricho), RouteStep("課長", kacho)]
    set_route(Department.objects.get(code="kosodate"), Status.READY_FOR_HANDOFF, steps, actor=kacho)
    detail = f"{live_server.url}/applications/{application.receipt_number}/"
    # Each person at their own PC: a browser context each, signed in once.
    desks: dict[str, Page] = {}

    def as_user(username: str) -> Page:
        if username not in desks:
            context = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 768})
            desks[username] = context.new_page()
            login(desks[username], live_server.url, username)
        return desks[username]

    def draft() -> None:
        page = as_user(reviewer.username)
        page.goto(detail)
        page.get_by_role("radio", name=re.compile("^基幹連携待ち")).check()
        expect(page.get_by_test_id("routed")).to_contain_text("係長 → 課長")
        page.get_by_label("伺い文").fill("児童手当を認定してよろしいか伺います。")
        page.get_by_label("審査結果").fill("監護・生計同一とも確認済み")
        page.get_by_test_id("change-status").click()
        expect(page.get_by_test_id("decisions")).to_contain_text("決裁中: 係長承認待ち")

    draft()
    page = as_user(kakaricho.username)
    page.goto(f"{live_server.url}/applications/decisions/")
    page.get_by_role("link", name=application.receipt_number).click()
    expect(page.get_by_test_id("decisions")).to_contain_text(
        "児童手当を認定してよろしいか伺います。"
    )
    assert accessibility_violations(page) == []
    page.get_by_test_id("return").click()  # no reason: refused, nothing lost
    expect(page.locator("ul.messages")).to_contain_text("理由")
    page.get_by_label("意見(差戻しのときは理由。必須)").fill("所得の確認をお願いします")
    page.get_by_test_id("return").click()
    expect(page.get_by_test_id("decisions")).to_contain_text("差戻し")
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW

    draft()
    for approver in (kakaricho, kacho):
        page = as_user(approver.username)
        page.goto(detail)
        page.get_by_test_id("approve").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(application.receipt_number)
    application.refresh_from_db()
    assert application.status == Status.READY_FOR_HANDOFF
    assert accessibility_violations(page) == []
    for desk in desks.values():
        desk.context.close()


def fill_counter_form(page: Page, procedure_id: str, values: dict[str, str]) -> None:
    """Type a counter form's values by their inputs' names (f-<item>), as a clerk would."""
    form = page.locator(f'form[data-draft-key="{procedure_id}"]')
    for key, value in values.items():
        field = form.locator(f'[name="f-{key}"]')
        if not field.count() or field.input_value():
            continue  # not on this form, or already there (prefilled, carried over)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_mail_is_keyed_in_beside_its_scan_and_needs_no_second_signature(
    live_server, page, catalog, kaigo_clerk
):
    """郵送: the clerk chooses the scan first; it shows beside the form at 1366 px while the
    form is typed; filing sends it with the form; the application needs no 「署名済の申請書を
    受領した」 (what came by post is the signed original)."""
    from madoguchi.residents.models import Resident
    from pittari_sim.generate import tiny_png
    from tests.factories import KAIGO_NINTEI, complete_form

    resident = Resident.objects.create(
        resident_code="98765432100",
        atena_number="700200",
        name="介護　太郎",
        name_kana="カイゴ　タロウ",
        birth_date=dt.date(1945, 4, 1),
        sex="1",
        address="東京都千代田区千代田1-1",
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server.url, kaigo_clerk.username)
    page.goto(
        f"{live_server.url}/applications/counter/{resident.atena_number}/forms/"
        "?procedure=kaigo-nintei&channel=mail&arrived_on=2026-11-30"
    )
    page.set_input_files(
        "#mail-scan", files=[{"name": "郵送.png", "mimeType": "image/png", "buffer": tiny_png(3)}]
    )
    shown = page.get_by_test_id("mail-scan-view").locator("img")
    expect(shown).to_be_visible()
    form_box = page.locator('form[data-draft-key="kaigo-nintei"]').bounding_box()
    assert shown.bounding_box()["x"] > form_box["x"] + form_box["width"] - 1  # beside it
    assert accessibility_violations(page) == []
    fill_counter_form(page, "kaigo-nintei", complete_form("kaigo-nintei", **KAIGO_NINTEI))
    page.get_by_test_id("file-kaigo-nintei").click()
    expect(page.get_by_test_id("filed-application")).to_have_count(1)
    filed = Application.objects.get(channel="mail")
    assert [a["name"] for a in filed.attachments] == ["郵送.png"]
    page.goto(f"{live_server.url}/applications/{filed.receipt_number}/")
    expect(page.get_by_test_id("paper-original")).to_be_visible()
    expect(page.get_by_test_id("receive-signature")).to_have_count(0)


def test_a_one_stop_counter_files_a_move_in_for_three_departments_in_one_visit(
    live_server, page, catalog, counter_clerk, reviewer, kaigo_reviewer
):
    """転入 at a 総合窓口: a 子育て支援課 clerk allowed to file for 保育課 and 介護保険課 opens the
    life event; the household's child and the postal code come from the registry; what is
    typed into one form survives filing the others; each application lands in its own 課."""
    from madoguchi.accounts.models import Department
    from madoguchi.residents.models import Resident
    from tests.factories import complete_form

    counter_clerk.files_for.set(Department.objects.filter(code__in=["hoiku", "kaigo"]))
    parent = Resident.objects.create(
        resident_code="11111111111",
        atena_number="800001",
        name="転入　花子",
        name_kana="テンニュウ　ハナコ",
        birth_date=dt.date(1990, 6, 1),
        sex="2",
        address="東京都千代田区千代田1-1",
        household_number="H800001",
        relationship="世帯主",
        postal_code="100-0001",
    )
    Resident.objects.create(
        resident_code="11111111112",
        atena_number="800002",
        name="転入　一郎",
        name_kana="テンニュウ　イチロウ",
        birth_date=dt.date(2023, 4, 5),
        sex="1",
        address="東京都千代田区千代田1-1",
        household_number="H800001",
        relationship="子",
        postal_code="100-0001",
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server.url, counter_clerk.username)
    page.goto(
        f"{live_server.url}/applications/counter/{parent.atena_number}/forms/"
        "?event=tennyu&channel=counter"
    )
    nintei = page.locator('form[data-draft-key="jidou-teate-nintei"]')
    expect(nintei.locator('[name="f-children.1.name"]')).to_have_value("転入　一郎")
    expect(nintei.locator('[name="f-children.1.birth_date"]')).to_have_value("2023-04-05")
    expect(nintei.locator('[name="f-applicant_postal_code"]')).to_have_value("100-0001")
    # Typed into the 介護 form first, while the resident waits.
    futan = page.locator('form[data-draft-key="kaigo-futangendo"]')
    futan.locator('[name="f-savings_deposits"]').fill("800000")
    assert accessibility_violations(page) == []

    for procedure_id in ("jidou-teate-nintei", "hoiku-moshikomi", "kaigo-futangendo"):
        values = complete_form(procedure_id, applicant_my_number="123456789018")
        fill_counter_form(page, procedure_id, values)
        if procedure_id == "kaigo-futangendo":
            expect(futan.locator('[name="f-savings_deposits"]')).to_have_value("800000")
        page.get_by_test_id(f"file-{procedure_id}").click()
        expect(page.locator(f'form[data-draft-key="{procedure_id}"]')).to_have_count(0)
    expect(page.get_by_test_id("filed-application")).to_have_count(3)

    filed = Application.objects.filter(filed_by=counter_clerk).select_related(
        "procedure__department"
    )
    assert {a.procedure.department.code for a in filed} == {"kosodate", "hoiku", "kaigo"}
    nintei_app = filed.get(procedure__procedure_id="jidou-teate-nintei")
    assert nintei_app.form["children.1.name"] == "転入　一郎"
    for member, code in ((reviewer, "kosodate"), (kaigo_reviewer, "kaigo")):
        mine = {
            a.procedure.department.code
            for a in filed
            if a in Application.objects.visible_to(member)
        }
        assert mine == {code}


def test_a_row_pressed_while_the_search_answers_still_opens(live_server, page, catalog, reviewer):
    """The list narrows 400 ms after the last key; on a busy server its answer may land while
    the clerk's button is down on a row. Replaced under the press, the row lost the click; the
    answer now waits for the release, and the row pressed opens. A press that opens nothing
    (on the count above the rows) gets the narrowed list once released."""
    make_application(name="山田　花子", kana="ヤマダ　ハナコ")
    pressed = make_application(name="髙橋　一郎", kana="タカハシ　イチロウ")
    login(page, live_server.url, reviewer.username)
    search = page.get_by_role("searchbox", name="検索")
    rows = page.locator("[data-testid=application-list] tbody tr[data-receipt-number]")
    asked = htmx_requests(page)

    def press_while_answered(place) -> None:
        place.hover()
        with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request")):
            search.fill("ヤマダ")
            page.mouse.down()
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
        expect(rows).to_have_count(2)  # not replaced under the press
        page.mouse.up()

    press_while_answered(page.locator("#results p.count"))
    expect(rows).to_have_count(1)
    search.fill("")
    expect(rows).to_have_count(2)
    press_while_answered(page.get_by_role("link", name=pressed.receipt_number))
    expect(page.get_by_role("heading", level=1)).to_contain_text(pressed.receipt_number)
    # Asked again after the first press, not after the one that opened a row.
    assert sum("q=%E3%83%A4" in url for url in asked) == 3, asked


def test_the_list_waits_while_the_ime_composes_and_asks_once_for_the_kanji(
    live_server, page, catalog, reviewer
):
    """A name is typed in kana and converted; a clerk choosing the kanji pauses longer than
    the search's 400 ms. The list is asked once, for the name chosen, not for each kana."""
    make_application(name="山田　花子", kana="ヤマダ　ハナコ")
    make_application(name="髙橋　一郎", kana="タカハシ　イチロウ")
    login(page, live_server.url, reviewer.username)
    asked = htmx_requests(page)
    page.get_by_role("searchbox", name="検索").focus()
    ime = page.context.new_cdp_session(page)
    for kana in ("や", "やま", "やまだ"):
        ime.send("Input.imeSetComposition", {"text": kana, "selectionStart": 0, "selectionEnd": 0})
        page.wait_for_timeout(500)  # the candidates are looked at
    ime.send("Input.insertText", {"text": "山田"})
    rows = page.locator("[data-testid=application-list] tbody tr[data-receipt-number]")
    expect(rows).to_have_count(1)
    assert [re.search(r"q=([^&]*)", url).group(1) for url in asked] == ["%E5%B1%B1%E7%94%B0"]


def test_back_after_two_searches_shows_the_first_whole(live_server, page, catalog, reviewer):
    """戻る within the inbox goes back to the earlier search: the whole page with its filters,
    not the rows alone (htmx keeps no copy of pages holding personal data, so it asks the
    server for the page again)."""
    make_application(name="山田　花子", kana="ヤマダ　ハナコ")
    make_application(name="髙橋　一郎", kana="タカハシ　イチロウ")
    login(page, live_server.url, reviewer.username)
    search = page.get_by_role("searchbox", name="検索")
    rows = page.locator("[data-testid=application-list] tbody tr[data-receipt-number]")
    search.fill("ヤマダ")
    expect(rows).to_have_count(1)
    search.fill("タカハシ")
    expect(page).to_have_url(re.compile(r"q=%E3%82%BF"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=%E3%83%A4"))
    expect(search).to_have_value("ヤマダ")  # the page as it was then
    expect(page.get_by_role("heading", level=1)).to_have_text("申請一覧")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("山田")
