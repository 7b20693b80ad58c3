"""Browser tests: a clerk's path through the staff screens, in Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.insights.aggregate import refresh as refresh_insights
from madoguchi.intake.actions import import_package
from madoguchi.notices.actions import make_waiting_letters
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import Status
from tests.browser import BROWSER_MARKS, htmx_requests, login
from tests.factories import make_application, online_and_counter_twin

pytestmark = BROWSER_MARKS


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


def accessibility_violations(page: Page) -> list[str]:
    """axe-core (WCAG 2.1 A and AA rules) on the page as it stands, once it has loaded (a
    check started while a click's navigation is under way finds no document)."""
    page.wait_for_load_state("load")
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            "resultTypes": ["violations"],
        },
    )
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


def test_a_clerks_day_search_correct_approve_hand_over(live_server, page, town, reviewer):
    """Search, open, request a correction, see the applicant's answer arrive through the
    portal, approve, and hand over by transcription — with no accessibility violations on
    the inbox and the detail screens."""
    town.cycle()
    application = Application.objects.get()
    surname = application.applicant_name.split("\u3000")[0]
    for name in ("綾瀬　はるか", "渥美　清", "五十嵐　一"):  # others in the inbox
        make_application(name=name, kana="")

    login(page, live_server.url, reviewer.username)
    expect(page).to_have_title("申請一覧 | madoguchi")  # what the tab and a screen reader say
    assert accessibility_violations(page) == []
    asked = htmx_requests(page)  # the list's questions
    page.get_by_role("searchbox", name="検索").fill(
        surname
    )  # htmx narrows the list as the clerk types
    rows = page.locator("[data-testid=application-list] tbody tr[data-receipt-number]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-receipt-number", application.receipt_number)
    expect(page).to_have_url(re.compile(r"q="))  # in the address, to bookmark or go back to
    page.get_by_role("link", name=application.receipt_number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(application.receipt_number)
    # Leaving the search box by the click asked nothing more: a second answer, replacing the
    # list while the button was down, lost the click.
    assert len(asked) == 1, asked
    assert accessibility_violations(page) == []

    page.get_by_label("審査中").check()
    page.get_by_test_id("change-status").click()
    expect(page.get_by_test_id("status")).to_have_text("審査中")
    page.get_by_label("補正依頼中").check()
    page.get_by_label("申請者へのメッセージ(補正依頼・却下・取下げのとき必須)").fill(
        "口座番号を確認してください"
    )
    page.get_by_test_id("change-status").click()
    expect(page.get_by_test_id("status")).to_have_text("補正依頼中")

    town.cycle()  # the relay tells the portal: 返戻
    status, _answer = town.reply(application.receipt_number, {"account_number": "7654321"})
    assert status == 201
    town.cycle()  # the applicant's answer comes back
    page.reload()
    expect(page.get_by_test_id("status")).to_have_text("審査中")
    expect(page.get_by_test_id("correction-replies")).to_contain_text("7654321")

    page.get_by_label("基幹連携待ち").check()
    page.get_by_test_id("change-status").click()
    expect(page.get_by_test_id("status")).to_have_text("基幹連携待ち")
    page.get_by_test_id("transcription-link").click()
    expect(page.locator("#record")).to_have_attribute("data-state", "pending")
    assert accessibility_violations(page) == []
    page.get_by_label("基幹システム側の番号(任意)").fill("JT-2026-0001")
    page.get_by_label("基幹システムへの入力を終え、内容を確認しました").check()
    page.get_by_test_id("mark-transcribed").click()
    expect(page.get_by_test_id("external-key")).to_have_text("JT-2026-0001")
    expect(page.get_by_test_id("delivery-state")).to_have_text("取込済")
    page.get_by_role("link", name="申請の詳細へ戻る").click()
    expect(page.get_by_test_id("status")).to_have_text("基幹連携済")
    assert accessibility_violations(page) == []


def test_the_accessibility_check_can_fail(page):
    """The check above is only worth something if it reports what it should."""
    page.set_content("<html lang='ja'><title>t</title><main><input type='text'></main></html>")
    assert any(v.startswith("label:") for v in accessibility_violations(page))


def test_at_200_percent_zoom_the_screens_reflow_and_work_by_keyboard(
    live_server, page, trusted, reviewer
):
    """A 1280-pixel screen at 200 %: 640 CSS pixels. The page does not scroll sideways (the
    list scrolls in its own focusable box), the skip link comes first, and the search works
    from the keyboard alone."""
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    target = Application.objects.filter(procedure__department=reviewer.department).first()
    page.set_viewport_size({"width": 640, "height": 800})
    login(page, live_server.url, reviewer.username)

    def page_width_fits() -> bool:
        return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert page_width_fits()
    assert accessibility_violations(page) == []
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="本文へ移動")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="結果へ移動")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the list's own scrolling box, then its first row
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('[data-testid=application-list]')")
    page.get_by_role("searchbox", name="検索").focus()
    page.keyboard.type(target.receipt_number)
    page.keyboard.press("Enter")
    rows = page.locator("[data-testid=application-list] tbody tr[data-receipt-number]")
    expect(rows).to_have_count(1)  # one question: Enter cancels the one typing had pending
    page.get_by_role("link", name=target.receipt_number).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(target.receipt_number)
    assert page_width_fits()
    assert accessibility_violations(page) == []


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("reviewer", "/applications/"),
        ("reviewer", "/applications/?unread=on&period=month"),
        ("reviewer", "/applications/queue/identification/"),
        ("reviewer", "/applications/arrival-mail/"),
        ("reviewer", "/applications/decisions/"),
        ("administrator", "/applications/routes/"),
        ("reviewer", "/applications/{receipt}/"),
        ("reviewer", "/linking/"),
        ("reviewer", "/notices/letters/"),
        ("reviewer", "/linking/{receipt}/"),
        ("reviewer", "/procedures/"),
        ("reviewer", "/procedures/jidou-teate-nintei/2026.2/"),
        ("administrator", "/audit/"),
        ("administrator", "/audit/?action=100&date_from=2026-01-01"),
        ("administrator", "/intake/quarantine/"),
        ("administrator", "/staff/"),
        ("administrator", "/staff/new/"),
        ("administrator", "/staff/import/"),
        ("administrator", "/staff/departments/"),
        ("administrator", "/status/"),
        ("reviewer", "/password/"),
        ("administrator", "/procedures/jidou-teate-nintei/texts/"),
        ("administrator", "/linking/gaiji/"),
        ("administrator", "/residents/gaiji/"),
        ("reviewer", "/applications/0000000000000000/"),
        ("reviewer", "/applications/counter/?atena={atena}"),
        ("reviewer", "/applications/counter/{atena}/"),
        ("reviewer", "/applications/counter/{atena}/forms/?event=tennyu"),
        ("administrator", "/insights/"),
        ("reviewer", "/notices/batch/"),
        ("reviewer", "/notices/receipts/"),
        ("administrator", "/notices/settings/"),
        ("administrator", "/insights/methods/?example=tsukuba&years=5&hourly_cost=3000"),
    ],
)
def test_every_staff_page_reflows_at_640_px_and_passes_axe(
    live_server, page, trusted, reviewer, administrator, who, path
):
    """Every staff screen at 200 % on a 1280-pixel display, with the Japanese font a clerk's
    PC has: nothing scrolls sideways but a list in its own box, and axe finds nothing."""
    for package in trusted.packages[:6]:
        import_package(package.read_bytes(), package.name)
    user = {"reviewer": reviewer, "administrator": administrator}[who]
    target = Application.objects.filter(procedure__department=reviewer.department).first()
    page.set_viewport_size({"width": 640, "height": 800})
    login(page, live_server.url, user.username)
    atena = target.resident.atena_number if target.resident else ""
    page.goto(live_server.url + path.format(receipt=target.receipt_number, atena=atena))
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => !e.closest('.table-scroll'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5)
            .map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))"""
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide
    header = page.evaluate("document.querySelector('header.site').getBoundingClientRect().height")
    assert header <= 800 * 0.2, f"the header takes {header} of 800 pixels"
    # The tab and a screen reader name the page by what it is (WCAG 2.4.2), in words.
    title = page.title()
    assert title.endswith(" | madoguchi") and "<" not in title, title
    assert title != "申請管理 | madoguchi", "the page keeps the default title"
    assert accessibility_violations(page) == []


def test_a_rejection_is_confirmed_on_a_page_that_reflows(live_server, page, trusted, reviewer):
    for package in trusted.packages[:3]:
        import_package(package.read_bytes(), package.name)
    target = Application.objects.filter(procedure__department=reviewer.department).first()
    page.set_viewport_size({"width": 640, "height": 800})
    login(page, live_server.url, reviewer.username)
    page.goto(f"{live_server.url}/applications/{target.receipt_number}/")
    page.get_by_label("審査中").check()
    page.get_by_test_id("change-status").click()
    page.get_by_role("radio", name=re.compile("^却下")).check()
    page.get_by_label("申請者へのメッセージ(補正依頼・却下・取下げのとき必須)").fill(
        "所得が限度額を超えています"
    )
    page.get_by_label("内部メモ(職員だけが見ます)").fill("課税台帳で確認")
    page.get_by_test_id("change-status").click()
    expect(page.get_by_test_id("applicant-preview")).to_contain_text("所得が限度額を超えています")
    expect(page.get_by_test_id("applicant-preview")).to_contain_text("審査請求")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert accessibility_violations(page) == []
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("内部メモ: 課税台帳で確認")
    target.refresh_from_db()
    assert target.status == Status.REJECTED


def test_a_reviewer_searches_the_registry_and_picks_the_resident(
    live_server, page, trusted, reviewer
):
    from madoguchi.residents.models import Resident
    from tests.builders import build, spec

    import_package(build(trusted.ca, spec("2026112600000099")), "u.zip")  # serial not linked
    application = Application.objects.get(receipt_number="2026112600000099")
    resident = Resident.objects.order_by("id")[2]
    login(page, live_server.url, reviewer.username)
    page.goto(f"{live_server.url}/applications/{application.receipt_number}/")
    page.get_by_label("生年月日", exact=True).fill(resident.birth_date.isoformat())
    page.get_by_label("氏名またはカナ(先頭)").fill(resident.name_kana[:2])
    page.get_by_role("button", name="住民記録を検索").click()
    page.locator(f"input[name=candidate][value='{resident.atena_number}']").check()
    page.get_by_label("確認した内容(例: 電話で本人に確認、旧姓で登録)").fill("電話で本人に確認")
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("identification")).to_have_text("特定済")
    application.refresh_from_db()
    assert application.resident == resident


def test_a_held_back_character_is_fixed_from_its_record(live_server, page, trusted, administrator):
    from madoguchi.linking.constants import HandoffMethod
    from madoguchi.linking.deliveries import hold_back
    from madoguchi.linking.models import Delivery, GaijiEntry

    import_package(trusted.packages[0].read_bytes(), trusted.packages[0].name)
    application = Application.objects.get()
    delivery = Delivery.objects.create(
        application=application,
        core_system=application.procedure.core_system,
        method=HandoffMethod.BATCH,
    )
    hold_back(delivery.pk, "請求者氏名", "「𠮷」(U+20BB7)は出力先の文字コードで表せません")
    login(page, live_server.url, administrator.username)
    page.goto(f"{live_server.url}/linking/{application.receipt_number}/")
    page.get_by_test_id("fix-gaiji").click()
    section = page.get_by_test_id(f"gaiji-{delivery.core_system}")
    expect(section.get_by_label("文字", exact=True)).to_have_value("𠮷")
    section.get_by_label("置換(文字または 0xF040 の形のコード)").fill("0xF040")
    section.get_by_test_id("add-gaiji").click()
    expect(page.get_by_role("status")).to_contain_text("外字表に登録しました")
    assert GaijiEntry.objects.get(core_system=delivery.core_system).character == "𠮷"
    assert accessibility_violations(page) == []


def test_a_counter_clerk_files_a_move_in_and_both_reach_the_inbox_as_counter(
    live_server, page, catalog, kaigo_clerk
):
    """書かない窓口: the clerk finds the resident, picks 転入, gets its three 介護保険課
    procedures prefilled from the registry, files two (the second prefilled from the first),
    prints the 申請書, and both are in the inbox as 窓口 with the clerk in the 経過."""
    resident = Resident.objects.create(
        resident_code="98765432109",
        atena_number="700123",
        name="転入　花子",
        name_kana="テンニュウ　ハナコ",
        birth_date=dt.date(1948, 2, 3),
        sex="2",
        address="東京都千代田区千代田1-1",
    )
    login(page, live_server.url, kaigo_clerk.username)
    page.get_by_role("link", name="窓口・郵送の受付").click()
    page.get_by_label("宛名番号").fill(resident.atena_number)
    page.get_by_test_id("search-residents").click()
    page.get_by_test_id("pick-resident").click()
    page.get_by_test_id("event-tennyu").click()

    forms = {
        p: page.get_by_test_id(f"form-{p}")
        for p in ("kaigo-tennyu-nintei", "kaigo-kyotaku-keikaku", "kaigo-futangendo")
    }
    for form in forms.values():
        expect(form.get_by_label("被保険者氏名", exact=True)).to_have_value("転入　花子")
        expect(form.get_by_label("被保険者生年月日")).to_have_value("1948-02-03")
    assert accessibility_violations(page) == []

    # Typed into the third form while the resident waits: filing the others loses nothing.
    forms["kaigo-futangendo"].get_by_label("預貯金額(円、配偶者と合わせて)").fill("1200000")
    first = forms["kaigo-tennyu-nintei"]
    first.get_by_label("被保険者番号").fill("0000456789")
    first.get_by_label("郵便番号", exact=True).fill("100-0001")
    first.get_by_label("電話番号", exact=True).fill("03-5555-0101")
    first.get_by_label("被保険者の個人番号").fill("123456789018")  # read from the card
    first.get_by_label("転入前の市区町村").fill("札幌市")
    first.get_by_label("転入前の要介護状態区分").select_option("要介護2")
    first.get_by_label("転入日").fill("2026-11-20")
    first.get_by_label("性別").select_option("女")
    first.get_by_label("被保険者の区分").select_option("第1号被保険者(65歳以上)")
    first.get_by_label("現在の状況").select_option("在宅")
    first.get_by_label("訪問調査の連絡先(氏名)").fill("転入　一郎")
    first.get_by_label("訪問調査の連絡先(電話番号)").fill("03-5555-0102")
    first.get_by_label("提出代行者による提出").select_option("なし")
    first.get_by_label("主治医意見書等を居宅介護支援事業者等に提示することへの同意").select_option(
        "同意する"
    )
    first.get_by_role("button", name="受け付ける").click()
    expect(page.get_by_test_id("filed-application")).to_have_count(1)

    second = page.get_by_test_id("form-kaigo-kyotaku-keikaku")
    expect(second.get_by_label("被保険者番号")).to_have_value("0000456789")  # asked once
    expect(second.get_by_label("電話番号", exact=True)).to_have_value("03-5555-0101")
    second.get_by_label("居宅介護支援事業所名", exact=True).fill("千代田ケアプランセンター")
    second.get_by_label("事業所番号").fill("1370000001")
    second.get_by_label("計画作成の開始日").fill("2026-12-01")
    second.get_by_label("届出の区分").select_option("新規")
    second.get_by_label("事業所の所在地").fill("東京都千代田区九段南1-2-1")
    second.get_by_label("事業所の電話番号").fill("03-5555-0199")
    second.get_by_label("被保険者の同意", exact=False).select_option("同意する")
    second.get_by_role("button", name="受け付ける").click()
    expect(page.get_by_test_id("filed-application")).to_have_count(2)
    expect(page.get_by_test_id("form-kaigo-futangendo")).to_have_count(1)  # not filed
    expect(
        page.get_by_test_id("form-kaigo-futangendo").get_by_label("預貯金額(円、配偶者と合わせて)")
    ).to_have_value("1200000")

    href = page.get_by_test_id("print-sheet").first.get_attribute("href")
    printed = page.request.get(f"{live_server.url}{href}")
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"

    page.get_by_role("link", name="申請一覧").first.click()
    page.get_by_text("その他の条件").click()
    page.get_by_label("受付経路").select_option("counter")
    rows = page.locator("[data-testid=application-list] tbody tr[data-receipt-number]")
    expect(rows).to_have_count(2)
    expect(rows.get_by_test_id("channel")).to_have_text(["窓口", "窓口"])
    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("channel")).to_contain_text(str(kaigo_clerk))
    expect(page.get_by_test_id("timeline")).to_contain_text("窓口・郵送の申請の受付")
    expect(page.get_by_test_id("timeline")).to_contain_text(str(kaigo_clerk))
    filed = Application.objects.filter(channel="counter", filed_by=kaigo_clerk)
    assert {a.procedure.procedure_id for a in filed} == {
        "kaigo-tennyu-nintei",
        "kaigo-kyotaku-keikaku",
    }
    assert accessibility_violations(page) == []


def test_a_reviewer_compares_possible_duplicates_side_by_side_and_settles(
    live_server, page, trusted, reviewer
):
    """An online application and a counter one of the same resident: marked, compared at
    640 px without sideways scrolling, settled with a reason; then approval is possible."""
    online, counter = online_and_counter_twin(trusted, reviewer)
    page.set_viewport_size({"width": 640, "height": 800})
    login(page, live_server.url, reviewer.username)
    page.goto(f"{live_server.url}/applications/{online.receipt_number}/")
    expect(page.get_by_test_id("duplicate-blocking")).to_be_visible()
    page.get_by_test_id("compare-duplicate").click()
    expect(page.get_by_test_id("duplicate-compare")).to_contain_text(counter.receipt_number)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert accessibility_violations(page) == []
    page.get_by_label("重複ではない(両方とも審査する)").check()
    page.get_by_label("理由").fill("窓口の申請は別の児童の分と確認")
    page.get_by_test_id("settle").click()
    expect(page.locator("ul.messages")).to_contain_text("確認済み")
    expect(page.get_by_test_id("duplicate-blocking")).to_have_count(0)
    page.get_by_label("審査中").check()
    page.get_by_test_id("change-status").click()
    page.get_by_label("基幹連携待ち").check()
    page.get_by_test_id("change-status").click()
    expect(page.get_by_test_id("status")).to_have_text("基幹連携待ち")


def test_the_dashboards_charts_draw_under_the_content_security_policy(
    live_server, page, trusted, administrator
):
    """Chart.js is served by madoguchi and reads its data from JSON beside the canvas: every
    chart draws, and the browser reports no blocked script or style."""
    for package in trusted.packages[:6]:
        import_package(package.read_bytes(), package.name)
    refresh_insights()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    login(page, live_server.url, administrator.username)
    page.get_by_role("link", name="見える化").click()
    expect(page.get_by_test_id("chart-volume")).to_be_visible()
    # The scripts run at the end of the page: wait for them rather than for the first paint.
    page.wait_for_function(
        "() => typeof Chart !== 'undefined'"
        " && [...document.querySelectorAll('canvas[data-chart]')].every(c => Chart.getChart(c))"
    )
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".map(c => Boolean(Chart.getChart(c)) && c.width > 0)"
    )
    assert drawn and all(drawn), drawn
    expect(page.get_by_test_id("table-volume")).to_contain_text("オンライン")
    assert problems == []


def test_letters_made_from_the_screen_show_their_progress_then_their_files(
    live_server, page, catalog, reviewer
):
    """The clerk asks for the day's 受理通知; the page waits for the worker, follows it (htmx
    every second) and offers the PDF and the 発送簿 once they are made."""
    for name in ("𠮷田　髙子", "山﨑　一郎"):
        make_application(name=name)
    login(page, live_server.url, reviewer.username)
    page.get_by_role("link", name="発送簿").click()
    page.get_by_test_id("batch-link").click()
    page.get_by_label("種類").select_option("receipt")
    page.get_by_test_id("make-letters").click()
    expect(page.get_by_test_id("run")).to_have_attribute("data-state", "waiting")
    assert accessibility_violations(page) == []
    assert make_waiting_letters() == 1  # the worker's step
    expect(page.get_by_test_id("run-done")).to_contain_text("2 通を作成しました", timeout=10_000)
    with page.expect_download() as download:
        page.get_by_test_id("run-file").first.click()
    assert download.value.suggested_filename.endswith("letters.pdf")
    assert accessibility_violations(page) == []


def test_a_reviewer_sees_the_forms_number_masked_checked_and_reveals_it(
    live_server, page, trusted, reviewer
):
    """個人番号 items of a form: masked, 番号確認 against the registry without a reveal, and a
    reveal that says it was recorded; axe clean before and after."""
    generated = next(g for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(generated.path.read_bytes(), generated.path.name)
    application = Application.objects.get(receipt_number=generated.receipt_number)
    number = application.form_with_my_numbers()["applicant_my_number"]
    login(page, live_server.url, reviewer.username)
    page.goto(f"{live_server.url}/applications/{application.receipt_number}/")
    row = page.locator("[data-field=applicant_my_number]")
    expect(row).to_contain_text("●●●●●●●●●●●●")
    expect(row).not_to_contain_text(number)
    if application.identification == "identified":
        expect(row.get_by_test_id("my-number-check")).to_have_text(
            "住民記録の個人番号と一致しています"
        )
    assert accessibility_violations(page) == []
    page.get_by_test_id("reveal-form-my-numbers").click()
    expect(page.get_by_test_id("form-my-numbers-shown")).to_be_visible()
    expect(row).to_contain_text(number)
    assert accessibility_violations(page) == []
    assert AuditEvent.objects.filter(
        action=AuditAction.MY_NUMBER_VIEWED, actor=reviewer, target_id=application.receipt_number
    ).exists()
