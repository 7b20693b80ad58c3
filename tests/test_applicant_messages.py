"""Two kinds of text: the message the applicant reads (previewed before a 却下 or 取下げ, with
the 教示 for a 却下) and the memo only staff see; every status with a catalog text reaches the
portal."""

from __future__ import annotations

import pytest

from conftest import sign_in
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application, PortalStatusUpdate
from madoguchi.applications.timeline import timeline
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.vocabulary import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(trusted) -> Application:
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    return Application.objects.filter(procedure__procedure_id="jidou-teate-nintei").first()


def test_a_rejection_is_previewed_as_the_applicant_will_read_it_then_confirmed(
    client, received, reviewer, settings
):
    settings.MUNICIPALITY_NAME = "千代田区"
    change_status(received.pk, Status.IN_REVIEW, actor=reviewer)
    sign_in(client, reviewer)
    url = f"/applications/{received.receipt_number}/transition/"
    form = {
        "to_status": "rejected",
        "reason": "所得が限度額を超えています",
        "memo": "課税台帳で確認",
    }

    preview = client.post(url, form)
    page = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="applicant-preview"' in page
    assert "所得が限度額を超えています" in page and "千代田区長に対して審査請求" in page
    assert "6か月以内" in page
    received.refresh_from_db()
    assert received.status == Status.IN_REVIEW  # nothing decided yet

    client.post(url, form | {"confirmed": "on"})
    received.refresh_from_db()
    assert received.status == Status.REJECTED
    sent = PortalStatusUpdate.objects.filter(application=received).latest("id")
    assert sent.status == "rejected"
    assert "所得が限度額を超えています" in sent.message and "【教示】" in sent.message
    assert "課税台帳" not in sent.message  # the memo stays inside
    [change] = [e for e in timeline(received).entries if e.change.endswith("却下")]
    assert (change.reason, change.memo) == ("所得が限度額を超えています", "課税台帳で確認")


def test_a_rejection_without_a_message_is_not_even_previewed(client, received, reviewer):
    change_status(received.pk, Status.IN_REVIEW, actor=reviewer)
    sign_in(client, reviewer)
    response = client.post(
        f"/applications/{received.receipt_number}/transition/", {"to_status": "rejected"}
    )
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.status == Status.IN_REVIEW


def test_rejections_are_never_a_bulk_action(client, received, reviewer):
    change_status(received.pk, Status.IN_REVIEW, actor=reviewer)
    sign_in(client, reviewer)
    client.post(
        "/applications/bulk/",
        {
            "action": "transition",
            "to_status": "rejected",
            "reason": "まとめて",
            "receipt_numbers": [received.receipt_number],
        },
    )
    received.refresh_from_db()
    assert received.status == Status.IN_REVIEW


def test_each_status_with_its_own_text_reaches_the_portal(received, reviewer):
    for status in (Status.IN_REVIEW, Status.READY_FOR_HANDOFF):
        change_status(received.pk, status, actor=reviewer)
    messages = list(
        PortalStatusUpdate.objects.filter(application=received)
        .order_by("id")
        .values_list("status", "message")
    )
    texts = received.procedure.status_messages
    assert messages[-2:] == [
        ("processing", texts["in_review"]),
        ("processing", texts["ready_for_handoff"]),
    ]


def test_the_municipality_words_what_applicants_read_on_a_screen_audited(
    client, received, reviewer, administrator
):
    url = "/procedures/jidou-teate-nintei/texts/"
    sign_in(client, reviewer)
    assert client.get(url).status_code == 403
    sign_in(client, administrator)
    page = client.get(url).content.decode()
    catalog = received.procedure.status_messages["in_review"]
    assert catalog in page and "【教示】" in page
    own_notice = "【教示】この決定に不服があるときは、3か月以内に千代田区長に審査請求できます。"
    client.post(
        url,
        {
            "in_review": "担当課で内容を確認しています。",
            "correction_requested": received.procedure.status_messages["correction_requested"],
            "rejection_notice": own_notice,
        },
    )
    changed = AuditEvent.objects.filter(action=AuditAction.APPLICANT_TEXT_CHANGED)
    assert sorted(e.extra["kind"] for e in changed) == ["in_review", "rejection_notice"]
    assert changed.get(extra__kind="in_review").extra["from"] == catalog

    change_status(received.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(received.pk, Status.REJECTED, actor=reviewer, reason="要件を満たしません")
    told = list(PortalStatusUpdate.objects.filter(application=received).order_by("id"))
    assert told[-2].message == "担当課で内容を確認しています。"
    assert told[-1].message.endswith(own_notice)

    client.post(url, {"in_review": ""})  # empty: the catalog's words again
    assert "担当課で" not in client.get(url).content.decode()
