"""補正 (correction requests) round trip: the clerk returns an application, the portal shows
it to the applicant, the applicant's signed answer comes back through the relay and is
taken into the application it answers."""

from __future__ import annotations

import pytest

from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application, CorrectionReply
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.vocabulary import Status


@pytest.mark.django_db(transaction=True)
def test_the_applicants_answer_is_taken_into_the_returned_application(town, reviewer):
    town.cycle()
    application = Application.objects.get()
    receipt = application.receipt_number

    # The applicant cannot answer what was not returned.
    assert town.reply(receipt, {"account_number": "7654321"})[0] == 409

    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(
        application.pk,
        Status.CORRECTION_REQUESTED,
        actor=reviewer,
        reason="口座番号が通帳と異なります。確認してください。",
    )
    town.cycle()  # the portal now shows 返戻 with the reason
    status, answer = town.reply(receipt, {"account_number": "7654321"})
    assert status == 201 and answer["correction_of"] == receipt

    town.cycle()  # the answer comes back through the relay
    assert Application.objects.count() == 1  # taken in, not a second case
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW
    assert application.form["account_number"] == "7654321"
    reply = CorrectionReply.objects.get(application=application)
    assert reply.receipt_number == answer["receipt_number"]
    assert [k for k, _before, after in reply.changes] == ["account_number"]
    assert reply.previous_form["account_number"] != "7654321"
    assert AuditEvent.objects.filter(
        action=AuditAction.CORRECTION_RECEIVED, target_id=receipt
    ).exists()
    # Signed with the same card: no note about a different signer.
    assert not any("一致しません" in n for n in application.identification_notes)

    # Fetched again (a relay retry): the same answer is a duplicate, nothing changes twice.
    town.cycle()
    assert CorrectionReply.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_answer_nobody_waits_for_is_received_on_its_own(town, reviewer):
    town.cycle()
    application = Application.objects.get()
    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(application.pk, Status.CORRECTION_REQUESTED, actor=reviewer, reason="確認")
    town.cycle()
    _status, answer = town.reply(application.receipt_number, {"applicant_phone": "03-1111-2222"})
    # Meanwhile the clerk withdrew the case on the applicant's phone call.
    change_status(application.pk, Status.WITHDRAWN, actor=reviewer, reason="電話で取下げ")
    town.cycle()
    separate = Application.objects.get(receipt_number=answer["receipt_number"])
    assert separate.correction_of == application.receipt_number
    assert separate.status == Status.RECEIVED
    assert not CorrectionReply.objects.exists()
