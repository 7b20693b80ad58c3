"""電子決裁: a 課's route for a decision (起案 → 係長 → 課長), 代決 and 後閲, 差戻し; nothing is
handed over or told to the applicant until the last step approves; every step audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import sign_in
from madoguchi.accounts.models import Department
from madoguchi.applications.actions.decisions import (
    RouteStep,
    approve_step,
    draft_decision,
    post_review,
    return_decision,
    set_route,
)
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application, PortalStatusUpdate
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.lib.wareki import to_wareki_time
from madoguchi.linking.models import Delivery
from madoguchi.vocabulary import DecisionState, Role, Status, StepState
from tests.test_letters import pdftotext, squeezed

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(trusted, reviewer) -> Application:
    path = next(g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(path.read_bytes(), path.name)
    application = Application.objects.get()
    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    return application


@pytest.fixture
def route(make_staff, administrator):
    """子育て支援課: 基幹連携へ承認 goes 係長 (代決: 課長補佐) → 課長."""
    kakaricho = make_staff("kakaricho", Role.REVIEWER, "kosodate")
    hosa = make_staff("hosa", Role.REVIEWER, "kosodate")
    kacho = make_staff("kacho", Role.MANAGER, "kosodate")
    kosodate = Department.objects.get(code="kosodate")
    steps = [RouteStep("係長", kakaricho, deputy=hosa), RouteStep("課長", kacho)]
    set_route(kosodate, Status.READY_FOR_HANDOFF, steps, actor=administrator)
    return kakaricho, hosa, kacho


def test_a_routed_decision_waits_for_every_step_then_takes_effect(received, reviewer, route):
    kakaricho, hosa, kacho = route
    with pytest.raises(ValidationError, match="決裁ルート"):
        change_status(received.pk, Status.READY_FOR_HANDOFF, actor=reviewer)
    decision = draft_decision(
        received.pk,
        Status.READY_FOR_HANDOFF,
        actor=reviewer,
        proposal="児童手当を認定してよろしいか伺います。",
        review="所得・監護要件とも確認済み",
    )
    with pytest.raises(ValidationError, match="係長"):
        approve_step(decision.pk, actor=kacho)  # not yet the 課長's turn
    approve_step(decision.pk, actor=hosa, comment="係長不在のため代決")
    received.refresh_from_db()
    assert received.status == Status.IN_REVIEW  # nothing decided yet
    assert not Delivery.objects.exists()
    approve_step(decision.pk, actor=kacho)
    received.refresh_from_db()
    decision.refresh_from_db()
    assert (received.status, decision.state) == (Status.READY_FOR_HANDOFF, DecisionState.APPROVED)
    assert Delivery.objects.filter(application=received).count() == 1
    states = [(s.title, s.state, s.acted_by.username) for s in decision.steps.all()]
    assert states == [
        ("係長", StepState.APPROVED_BY_DEPUTY, "hosa"),
        ("課長", StepState.APPROVED, "kacho"),
    ]
    # 後閲: the 係長 reads what the deputy decided; nobody else may.
    first = decision.steps.get(position=1)
    with pytest.raises(ValidationError):
        post_review(first.pk, actor=hosa)
    assert post_review(first.pk, actor=kakaricho).state == StepState.POST_REVIEW
    actions = list(
        AuditEvent.objects.filter(target_id=received.receipt_number)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-5:] == [
        AuditAction.DECISION_DRAFTED,
        AuditAction.DECISION_APPROVED,
        AuditAction.DECISION_APPROVED,
        AuditAction.APPLICATION_STATUS_CHANGED,
        AuditAction.DECISION_POST_REVIEWED,
    ]


def test_a_return_goes_back_to_the_drafter_and_tells_the_applicant_nothing(
    received, reviewer, route
):
    kakaricho, _hosa, kacho = route
    kosodate = Department.objects.get(code="kosodate")
    set_route(kosodate, Status.REJECTED, [RouteStep("課長", kacho)], actor=kacho)
    told = PortalStatusUpdate.objects.count()
    decision = draft_decision(
        received.pk, Status.REJECTED, actor=reviewer, reason="受給資格がありません"
    )
    with pytest.raises(ValidationError, match="理由"):
        return_decision(decision.pk, actor=kacho, comment=" ")
    return_decision(decision.pk, actor=kacho, comment="所得の確認資料を添えて再起案を")
    received.refresh_from_db()
    decision.refresh_from_db()
    assert received.status == Status.IN_REVIEW
    assert decision.state == DecisionState.RETURNED
    assert decision.steps.get().comment == "所得の確認資料を添えて再起案を"
    assert PortalStatusUpdate.objects.count() == told
    with pytest.raises(ValidationError, match="終わっています"):
        approve_step(decision.pk, actor=kacho)
    # Drafted again, it goes through.
    again = draft_decision(received.pk, Status.REJECTED, actor=reviewer, reason="資格なし")
    approve_step(again.pk, actor=kacho)
    received.refresh_from_db()
    assert received.status == Status.REJECTED
    assert PortalStatusUpdate.objects.count() == told + 1


def test_who_may_draft_approve_and_set_a_route(
    received, reviewer, route, counter_clerk, make_staff
):
    kakaricho, _hosa, kacho = route
    kosodate = Department.objects.get(code="kosodate")
    with pytest.raises(ValidationError):
        draft_decision(received.pk, Status.READY_FOR_HANDOFF, actor=counter_clerk)
    own = draft_decision(received.pk, Status.READY_FOR_HANDOFF, actor=kakaricho)
    with pytest.raises(ValidationError, match="自分が起案"):
        approve_step(own.pk, actor=kakaricho)
    with pytest.raises(ValidationError, match="決裁中の起案"):
        draft_decision(received.pk, Status.READY_FOR_HANDOFF, actor=reviewer)
    with pytest.raises(PermissionDenied):
        set_route(kosodate, Status.REJECTED, [RouteStep("課長", kacho)], actor=reviewer)
    other = make_staff("kaigo-kacho", Role.MANAGER, "kaigo")
    with pytest.raises(ValidationError, match="審査担当・所属長ではありません"):
        set_route(kosodate, Status.REJECTED, [RouteStep("課長", other)], actor=kacho)
    with pytest.raises(ValidationError, match="同じ職員"):
        set_route(
            kosodate,
            Status.REJECTED,
            [RouteStep("係長", kacho), RouteStep("課長", kacho)],
            actor=kacho,
        )
    # No steps: decided at once again.
    set_route(kosodate, Status.COMPLETED, [], actor=kacho)
    assert AuditEvent.objects.filter(action=AuditAction.APPROVAL_ROUTE_CHANGED).count() == 2


def test_on_screen_a_three_step_route_with_a_return_and_a_deputy_is_printed_in_its_kairan(
    client, received, reviewer, make_staff, tmp_path
):
    """The 課長 sets 係長 (代決 課長補佐) → 課長補佐 → 課長 on the routes page; the reviewer
    drafts from the status panel; the 係長 returns it, the reviewer drafts again; the 係長's
    turn is taken by the deputy, the others approve, the 係長 reads it afterwards (後閲); the
    print's 回議欄 reads back (pdftotext) with each approver, the mark and the 和暦 time."""
    kakaricho = make_staff("kakaricho", Role.REVIEWER, "kosodate")
    hosa = make_staff("hosa", Role.REVIEWER, "kosodate")
    jicho = make_staff("jicho", Role.REVIEWER, "kosodate")
    kacho = make_staff("kacho", Role.MANAGER, "kosodate")
    names = (
        (kakaricho, "山田 係長"),
        (hosa, "佐藤 補佐"),
        (jicho, "高橋 補佐"),
        (kacho, "鈴木 課長"),
    )
    for member, name in names:
        member.display_name = name
        member.save(update_fields=["display_name"])
    sign_in(client, kacho)
    page = client.get("/applications/routes/")
    assert page.status_code == 200 and "決裁ルート(子育て支援課)" in page.content.decode()
    saved = client.post(
        "/applications/routes/",
        {
            "decision": "ready_for_handoff",
            "title-1": "係長",
            "approver-1": kakaricho.pk,
            "deputy-1": hosa.pk,
            "title-2": "課長補佐",
            "approver-2": jicho.pk,
            "title-3": "課長",
            "approver-3": kacho.pk,
        },
    )
    assert saved.status_code == 302
    sign_in(client, reviewer)
    detail = f"/applications/{received.receipt_number}/"
    assert "係長 → 課長補佐 → 課長" in client.get(detail).content.decode()
    draft = {
        "to_status": "ready_for_handoff",
        "proposal": "児童手当を認定してよろしいか伺います。",
        "review": "監護・生計同一とも確認済み",
    }
    client.post(f"{detail}transition/", draft)
    assert "決裁中: 係長承認待ち" in client.get(detail).content.decode()
    sign_in(client, kakaricho)
    first = received.decisions.get()
    client.post(f"{detail}decisions/{first.pk}/", {"action": "return", "comment": "所得の確認を"})
    first.refresh_from_db()
    assert first.state == DecisionState.RETURNED

    sign_in(client, reviewer)
    client.post(f"{detail}transition/", draft)
    received.refresh_from_db()
    assert received.status == Status.IN_REVIEW
    decision = received.decisions.get(state=DecisionState.IN_PROGRESS)
    sign_in(client, hosa)
    assert received.receipt_number in client.get("/applications/decisions/").content.decode()
    assert "代決する" in client.get(detail).content.decode()
    client.post(f"{detail}decisions/{decision.pk}/", {"action": "approve", "comment": "代決"})
    for approver in (jicho, kacho):
        sign_in(client, approver)
        client.post(f"{detail}decisions/{decision.pk}/", {"action": "approve"})
    received.refresh_from_db()
    assert received.status == Status.READY_FOR_HANDOFF
    sign_in(client, kakaricho)
    assert "後閲を待つ代決" in client.get("/applications/decisions/").content.decode()
    step = decision.steps.get(position=1)
    client.post(f"{detail}decision-steps/{step.pk}/post-review/")
    step.refresh_from_db()
    assert step.state == StepState.POST_REVIEW

    printed = tmp_path / "print.pdf"
    printed.write_bytes(client.get(f"{detail}print.pdf").content)
    text = squeezed(pdftotext(printed))
    for expected in (
        "起案",
        "係長",
        "課長補佐",
        "佐藤補佐",
        "高橋補佐",
        "鈴木課長",
        "代決・後閲済",
    ):
        assert expected in text, expected
    assert text.count("電子決裁済") == 2
    assert "児童手当を認定してよろしいか伺います。" in text
    acted = timezone.localtime(decision.steps.get(position=3).acted_at)
    assert to_wareki_time(acted).replace(" ", "") in text


def test_a_comment_with_a_mention_tells_a_colleague_and_never_the_applicant(
    client, received, reviewer, counter_clerk, kaigo_clerk, route
):
    """内部コメント: audited, with @ユーザー名 the colleague finds it under お知らせ until they
    open the application; someone who cannot see the application cannot be mentioned. A
    決裁 waiting for a member of staff is counted in their header too."""
    from madoguchi.applications.models import PortalStatusUpdate

    kakaricho, _hosa, kacho = route
    told = PortalStatusUpdate.objects.count()
    sign_in(client, reviewer)
    detail = f"/applications/{received.receipt_number}/"
    refused = client.post(f"{detail}comments/", {"body": "@kaigo 見てください"}, follow=True)
    assert "この申請を見られる職員にいません: @kaigo" in refused.content.decode()
    client.post(f"{detail}comments/", {"body": "@madoka 添付の住所を確認してください"})
    assert "添付の住所を確認してください" in client.get(detail).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.COMMENT_ADDED).count() == 1
    assert PortalStatusUpdate.objects.count() == told
    draft_decision(received.pk, Status.READY_FOR_HANDOFF, actor=reviewer)

    sign_in(client, counter_clerk)
    page = client.get("/applications/notices/").content.decode()
    mentions = page[page.index('data-testid="notices-mentions"') :]
    assert "添付の住所を確認してください" in mentions[: mentions.index("</section>")]
    client.get(detail)  # opened: told
    page = client.get("/applications/notices/").content.decode()
    mentions = page[page.index('data-testid="notices-mentions"') :]
    assert received.receipt_number not in mentions[: mentions.index("</section>")]

    sign_in(client, kakaricho)  # the 係長's turn: counted in the header, listed
    page = client.get("/applications/notices/").content.decode()
    assert 'data-testid="notice-count"' in page
    waiting = page[page.index('data-testid="notices-decisions"') :]
    assert received.receipt_number in waiting[: waiting.index("</section>")]
    sign_in(client, kacho)  # the 課長's turn has not come
    page = client.get("/applications/notices/").content.decode()
    waiting = page[page.index('data-testid="notices-decisions"') :]
    assert received.receipt_number not in waiting[: waiting.index("</section>")]


def test_the_header_count_is_the_sum_of_the_groups_and_follows_every_change(
    received, reviewer, counter_clerk, make_staff
):
    """The count runs one kept statement: it must say what the お知らせ page lists, after a
    read, a new application, a reply and a move to another 課 alike."""
    from madoguchi.applications.actions.reads import record_view
    from madoguchi.applications.notifications import count_for, notices_for
    from madoguchi.vocabulary import Role
    from tests.factories import make_application, make_reply

    def listed(user) -> int:
        return sum(len(rows) for rows in notices_for(user, limit=1000).values())

    clerk = counter_clerk
    assert count_for(clerk) == listed(clerk) >= 1  # the new application
    record_view(received, clerk)
    assert count_for(clerk) == listed(clerk)
    make_application(received_at=timezone.now() + dt.timedelta(days=-1))
    due = make_application()
    Application.objects.filter(pk=due.pk).update(
        due_date=timezone.localdate() + dt.timedelta(days=1)
    )
    assert count_for(clerk) == listed(clerk) >= 2
    # A 補正回答 not yet read is told (an open application's, of the clerk's procedures)
    # until the clerk opens the application after it came.
    notices = notices_for(clerk)
    assert received.pk not in {a.pk for a in notices["answered"]}
    make_reply(received, "2026120100000778")
    assert [a.pk for a in notices_for(clerk)["answered"]] == [received.pk]
    assert count_for(clerk) == listed(clerk)
    record_view(Application.objects.get(pk=received.pk), clerk)
    assert notices_for(clerk)["answered"] == []
    assert count_for(clerk) == listed(clerk)
    kaigo = make_staff("kaigo2", Role.COUNTER_CLERK, "kaigo")
    assert count_for(kaigo) == listed(kaigo) == 0  # another 課's applications are not theirs
    clerk.department = kaigo.department
    clerk.save()
    assert count_for(clerk) == listed(clerk) == 0
