"""The clerk's inbox: search, filters, keyset paging, saved filters, assignment, deadlines,
bulk transitions and the attachment viewer — each inside the department boundary."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from urllib.parse import parse_qsl

import pytest
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.actions.workflow import assign, change_status
from madoguchi.applications.models import Application, SavedFilter
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.vocabulary import Status
from pittari_sim.generate import tiny_pdf, tiny_png
from tests.builders import build, spec
from tests.factories import make_application

pytestmark = pytest.mark.django_db


def listed(response) -> list[str]:
    return re.findall(r'<tr data-receipt-number="(\d+)"', response.content.decode())


def pager_link(response, testid: str) -> dict[str, str] | None:
    """The query of the 次へ / 前へ link, as a browser would follow it."""
    found = re.search(rf'href="\?([^"]*)" data-testid="{testid}"', response.content.decode())
    return dict(parse_qsl(html.unescape(found.group(1)))) if found else None


@pytest.fixture
def people(catalog):
    return {
        "yamada": make_application(name="山田　花子", kana="ヤマダ　ハナコ"),
        "takahashi": make_application(name="髙橋　一郎", kana="タカハシ　イチロウ"),
        "yoshida": make_application(name="𠮷田　太郎", kana="ヨシダ　タロウ"),
        "kaigo": make_application("kaigo-nintei", name="山田　次郎", kana="ヤマダ　ジロウ"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("山田", {"yamada"}),
        ("山田 花", {"yamada"}),  # spaces do not matter
        ("ﾔﾏﾀﾞ", {"yamada"}),  # half-width kana
        ("やまだ", {"yamada"}),  # hiragana
        ("高橋", {"takahashi"}),  # the registry's 髙 found from the common form
        ("吉田", {"yoshida"}),
        ("田", set()),  # one character: only the start of the name
        ("はなこ", {"yamada"}),  # two or more: anywhere in the name or kana
        ("一郎", {"takahashi"}),
        ("田太", {"yoshida"}),
        ("ロウ", {"takahashi", "yoshida"}),  # two characters inside the kana
        ("鬼瓦", set()),  # two characters nowhere: the bigram index says so at once
        ("山", {"yamada"}),  # a range on SQLite: 山 up to (not including) the next character
        ("山田花子", {"yamada"}),  # the whole name is its own start
        ("山田花子さん", set()),  # longer than the name
        ("ヤマダハナコ", {"yamada"}),
    ],
)
def test_name_search_folds_width_kana_and_old_forms(client, people, counter_clerk, text, expected):
    sign_in(client, counter_clerk)
    found = set(listed(client.get("/applications/", {"q": text})))
    assert found == {people[k].receipt_number for k in expected}


def test_two_characters_inside_a_name_follow_the_name_as_it_changes(client, people, counter_clerk):
    """The bigram index (a GIN index on PostgreSQL, a table kept by triggers on SQLite)
    follows a name that changes and an application that goes."""
    sign_in(client, counter_clerk)
    yamada = people["yamada"]
    yamada.applicant_name, yamada.applicant_kana = "山田　権三", "ヤマダ　ゴンゾウ"
    yamada.set_search_keys()
    yamada.save()
    assert listed(client.get("/applications/", {"q": "権三"})) == [yamada.receipt_number]
    assert listed(client.get("/applications/", {"q": "花子"})) == []
    Application.objects.filter(pk=people["takahashi"].pk).delete()
    assert listed(client.get("/applications/", {"q": "一郎"})) == []


def test_search_by_receipt_and_atena_number(client, trusted, counter_clerk):
    path = next(g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(path.read_bytes(), path.name)
    application = Application.objects.get()
    sign_in(client, counter_clerk)
    by_receipt = client.get("/applications/", {"q": application.receipt_number})
    assert listed(by_receipt) == [application.receipt_number]
    full_width = application.resident.atena_number.translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    assert listed(client.get("/applications/", {"q": full_width})) == [application.receipt_number]


def test_another_departments_applications_are_not_found_or_counted(client, people, kaigo_clerk):
    sign_in(client, kaigo_clerk)
    response = client.get("/applications/", {"q": "山田"})
    assert listed(response) == [people["kaigo"].receipt_number]
    assert "1 件" in response.content.decode()


def test_filters_combine(client, people, counter_clerk, reviewer):
    yamada, takahashi = people["yamada"], people["takahashi"]
    assign(yamada.pk, counter_clerk, actor=counter_clerk)
    Application.objects.filter(pk=takahashi.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=1), status=Status.IN_REVIEW
    )
    sign_in(client, counter_clerk)

    def only(**params) -> set[str]:
        return set(listed(client.get("/applications/", params)))

    assert only(assignee="me") == {yamada.receipt_number}
    assert yamada.receipt_number not in only(assignee="none")
    assert only(overdue="on") == {takahashi.receipt_number}
    assert only(status="in_review") == {takahashi.receipt_number}
    assert only(procedure="jidou-teate-nintei", status="open") == {
        people[k].receipt_number for k in ("yamada", "takahashi", "yoshida")
    }
    today = timezone.localdate()
    assert len(only(received_from=today.isoformat(), received_to=today.isoformat())) == 3
    assert only(received_from=(today + dt.timedelta(days=1)).isoformat()) == set()
    overdue_page = client.get("/applications/", {"overdue": "on"}).content.decode()
    assert 'data-overdue="1"' in overdue_page and "期限超過" in overdue_page


def test_keyset_pages_cover_everything_once_and_come_back(client, catalog, counter_clerk):
    start = timezone.now() - dt.timedelta(days=1)
    made = [
        make_application(received_at=start + dt.timedelta(minutes=n // 3)).receipt_number
        for n in range(130)  # three at each time: the id breaks the ties
    ]
    sign_in(client, counter_clerk)
    pages, params = [], {"sort": "old"}
    while params:
        response = client.get("/applications/", params)
        pages.append(listed(response))
        last, params = params, pager_link(response, "next-page")
    assert [len(p) for p in pages] == [50, 50, 30]
    assert [r for page in pages for r in page] == made  # oldest first, each once

    # From the third page, 前へ gives the second again.
    third = client.get("/applications/", last)
    assert listed(client.get("/applications/", pager_link(third, "previous-page"))) == pages[1]


def test_htmx_gets_only_the_results(client, people, counter_clerk):
    sign_in(client, counter_clerk)
    response = client.get("/applications/", {"q": "山田"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and listed(response) == [people["yamada"].receipt_number]


def test_saved_filters_belong_to_their_owner(client, people, counter_clerk, reviewer):
    sign_in(client, counter_clerk)
    client.post("/applications/filters/", {"name": "期限超過", "query": "overdue=on"})
    saved = SavedFilter.objects.get(user=counter_clerk)
    assert 'href="?overdue=on"' in client.get("/applications/").content.decode()
    sign_in(client, reviewer)
    assert "期限超過</a>" not in client.get("/applications/").content.decode()
    assert client.post(f"/applications/filters/{saved.pk}/delete/").status_code == 404
    sign_in(client, counter_clerk)
    client.post(f"/applications/filters/{saved.pk}/delete/")
    assert not SavedFilter.objects.exists()


def test_assignment_stays_in_the_department_and_is_audited(
    client, people, counter_clerk, reviewer, kaigo_clerk
):
    application = people["yamada"]
    sign_in(client, counter_clerk)
    client.post(f"/applications/{application.receipt_number}/assign/", {"assignee": reviewer.pk})
    application.refresh_from_db()
    assert application.assignee == reviewer
    event = AuditEvent.objects.get(action=AuditAction.APPLICATION_ASSIGNED)
    assert (event.actor, event.extra["to"]) == (counter_clerk, reviewer.username)
    # A clerk of 介護保険課 is not among the choices, and cannot be given it by hand.
    client.post(f"/applications/{application.receipt_number}/assign/", {"assignee": kaigo_clerk.pk})
    application.refresh_from_db()
    assert application.assignee == reviewer


def test_bulk_transition_reports_each_item(client, people, counter_clerk):
    yamada, takahashi, kaigo = people["yamada"], people["takahashi"], people["kaigo"]
    Application.objects.filter(pk=takahashi.pk).update(status=Status.COMPLETED)
    sign_in(client, counter_clerk)
    response = client.post(
        "/applications/bulk/",
        {
            "action": "transition",
            "to_status": "in_review",
            "receipt_numbers": [
                yamada.receipt_number,
                takahashi.receipt_number,
                kaigo.receipt_number,
            ],
        },
    )
    body = response.content.decode()
    rows = dict(re.findall(r'data-receipt-number="(\d+)" data-ok="(\d)"', body))
    assert rows == {
        yamada.receipt_number: "1",
        takahashi.receipt_number: "0",
        kaigo.receipt_number: "0",
    }
    assert "「完了」から「審査中」には変更できません" in body
    assert "申請が見つかりません" in body  # another department's: not disclosed
    assert Application.objects.get(pk=yamada.pk).status == Status.IN_REVIEW
    assert Application.objects.get(pk=kaigo.pk).status == Status.RECEIVED


def test_bulk_assignment(client, people, counter_clerk, reviewer):
    sign_in(client, counter_clerk)
    targets = [people["yamada"].receipt_number, people["yoshida"].receipt_number]
    client.post(
        "/applications/bulk/",
        {"action": "assign", "assignee": str(reviewer.pk), "receipt_numbers": targets},
    )
    assert set(
        Application.objects.filter(receipt_number__in=targets).values_list("assignee", flat=True)
    ) == {reviewer.pk}


PDF = "application/pdf"


def test_attachments_are_shown_inline_or_downloaded_and_audited(
    client, trusted, counter_clerk, kaigo_clerk
):
    """An image is shown as it is; a PDF as pictures of its pages rendered on the server (no
    PDF reaches the browser to run script); either downloaded; every read audited."""
    pdf = tiny_pdf("shuro")
    package = spec(
        "2026112600007001",
        attachments=[("hokensho.png", "image/png", tiny_png(3)), ("shuro.pdf", PDF, pdf)],
    )
    import_package(build(trusted.ca, package), "a.zip")
    application = Application.objects.get()
    base = f"/applications/{application.receipt_number}/attachments"
    sign_in(client, kaigo_clerk)
    assert client.get(f"{base}/0/").status_code == 404
    assert client.get(f"{base}/1/pages/1.png").status_code == 404
    sign_in(client, counter_clerk)
    detail = client.get(f"/applications/{application.receipt_number}/").content.decode()
    assert "shuro.pdf" in detail and "hokensho.png" in detail

    image = client.get(f"{base}/0/")
    assert (image["Content-Type"], image.content) == ("image/png", tiny_png(3))
    assert image["Content-Disposition"].startswith("inline")
    assert "sandbox" in image["Content-Security-Policy"]

    assert client.get(f"{base}/1/")["Location"] == f"{base}/1/pages/"
    pages = client.get(f"{base}/1/pages/").content.decode()
    assert f'src="{base}/1/pages/1.png"' in pages
    picture = client.get(f"{base}/1/pages/1.png")
    assert picture["Content-Type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")
    assert "sandbox" in picture["Content-Security-Policy"]
    assert client.get(f"{base}/1/pages/2.png").status_code == 404

    downloaded = client.get(f"{base}/1/", {"download": "1"})
    assert downloaded["Content-Disposition"].startswith("attachment")
    assert downloaded["Content-Type"] == "application/octet-stream"
    assert hashlib.sha256(downloaded.content).hexdigest() == hashlib.sha256(pdf).hexdigest()
    assert client.get(f"{base}/99/").status_code == 404
    events = AuditEvent.objects.filter(action=AuditAction.ATTACHMENT_VIEWED, actor=counter_clerk)
    assert [(e.extra["name"], e.extra["inline"]) for e in events.order_by("seq")] == [
        ("hokensho.png", True),
        ("shuro.pdf", True),
        ("shuro.pdf", False),
    ]


def test_a_bulk_decision_on_applications_not_opened_since_they_changed_asks_first(
    client, people, reviewer
):
    """Five 新着 to 基幹連携待ち in one click once went through unread: now each selected
    application is listed (applicant, procedure, status, opened or not) to confirm, and the
    result lists the same."""
    yamada, yoshida = people["yamada"], people["yoshida"]
    for application in (yamada, yoshida):
        change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    sign_in(client, reviewer)
    client.get(f"/applications/{yamada.receipt_number}/")  # opened after its last change
    chosen = {
        "action": "transition",
        "to_status": "ready_for_handoff",
        "receipt_numbers": [yamada.receipt_number, yoshida.receipt_number],
    }
    asked = client.post("/applications/bulk/", chosen).content.decode()
    assert 'data-testid="bulk-confirm"' in asked
    assert asked.count("未開封</span>") == 1 and yoshida.applicant_name in asked
    assert {a.status for a in Application.objects.filter(pk__in=[yamada.pk, yoshida.pk])} == {
        Status.IN_REVIEW
    }
    done = client.post("/applications/bulk/", chosen | {"confirmed": "on"}).content.decode()
    rows = dict(re.findall(r'data-receipt-number="(\d+)" data-ok="(\d)"', done))
    assert rows == {yamada.receipt_number: "1", yoshida.receipt_number: "1"}
    assert yoshida.applicant_name in done and "基幹連携待ち" in done
    # Opened since: no question asked.
    change_status(yamada.pk, Status.IN_REVIEW, actor=reviewer)
    client.get(f"/applications/{yamada.receipt_number}/")
    again = chosen | {"receipt_numbers": [yamada.receipt_number]}
    assert (
        'data-testid="bulk-results"' in client.post("/applications/bulk/", again).content.decode()
    )


def headers(response) -> list[str]:
    table = response.content.decode().split('data-testid="application-list"')[1]
    head = table.split("</thead>")[0]
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", head)
    ]


def test_a_clerk_chooses_and_orders_the_inbox_columns_and_keeps_them(
    client, people, counter_clerk, reviewer
):
    """表示する列: the clerk shows four columns in an order of their own; it is theirs (a
    colleague still sees every column), kept across sign-ins, and 元に戻す brings all back.
    受付番号 always leads; a hidden 申請者 takes its 新着 mark to the 受付番号."""
    sign_in(client, counter_clerk)
    every = headers(client.get("/applications/"))
    assert every[1:] == [
        "受付番号", "手続", "申請者", "カナ", "生年月日", "受付日時", "処理期限",
        "ステータス", "本人特定", "担当者",
    ]  # fmt: skip
    chosen = {
        "show-status": "1", "order-status": "1",
        "show-due_date": "1", "order-due_date": "2",
        "show-applicant_kana": "1", "order-applicant_kana": "3",
        "show-procedure": "1", "order-procedure": "3",  # a tie: the house order settles it
        "order-applicant_name": "4",  # not shown
    }  # fmt: skip
    saved = client.post("/applications/columns/", chosen, HTTP_REFERER="/applications/?q=")
    assert saved.status_code == 302 and saved["Location"] == "/applications/?q="
    page = client.get("/applications/")
    assert headers(page)[1:] == ["受付番号", "ステータス", "処理期限", "手続", "カナ"]  # by number
    assert page.content.decode().count('data-testid="unread"') == len(listed(page)) > 0
    first = listed(page)[0]
    row = page.content.decode().split(f'<tr data-receipt-number="{first}"')[1].split("</tr>")[0]
    assert row.count("<td") == 2 + 4  # the pick box, 受付番号 and the four chosen
    chosen_order = ["受付番号", "ステータス", "処理期限", "手続", "カナ"]
    assert headers(client.get("/applications/", HTTP_HX_REQUEST="true"))[1:] == chosen_order

    sign_in(client, reviewer)
    assert headers(client.get("/applications/")) == every
    sign_in(client, counter_clerk)  # a new session: the choice is the user's, not the session's
    assert headers(client.get("/applications/"))[1:] == chosen_order

    wrong = client.post(
        "/applications/columns/", {"show-status": "1", "order-status": "x"}, follow=True
    )
    assert "「ステータス」の順番は 1 から 99 までの数で入力してください" in wrong.content.decode()
    assert headers(wrong)[1:] == chosen_order  # the saved choice stands
    client.post("/applications/columns/", {"reset": "1"})
    assert headers(client.get("/applications/")) == every


def test_a_latin_name_and_a_variant_kanji_are_found_however_typed(client, catalog, counter_clerk):
    smith = make_application(name="SMITH JOHN", kana="スミス　ジョン")
    ogai = make_application(name="森　鷗外", kana="モリ　オウガイ")
    sign_in(client, counter_clerk)
    for text, found in (("smith", smith), ("Smith John", smith), ("森鴎外", ogai)):
        assert listed(client.get("/applications/", {"q": text})) == [found.receipt_number], text


def test_an_applicants_markup_is_shown_as_text_in_every_column(client, catalog, counter_clerk):
    """The rows are written by views/rows.py, not the template: every value an applicant
    signed is escaped there, in the cells and in the title attributes, and a bidi control
    is shown by its code."""
    hostile = make_application(
        name='<b onmouseover="x()">山田</b>\u202e', kana="ヤマダ\"'><script>alert(1)</script>"
    )
    sign_in(client, counter_clerk)
    page = client.get("/applications/").content.decode()
    row = re.search(rf'<tr data-receipt-number="{hostile.receipt_number}".*?</tr>', page, re.S)
    assert row is not None
    cells = row.group()
    assert "<b " not in cells and "<script>" not in cells
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;山田&lt;/b&gt;[U+202E]" in cells
    assert 'title="ヤマダ&quot;&#x27;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in cells
