"""Status workflow (③-5): changed only by the action, audited, within department bounds."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from madoguchi.applications.actions.workflow import allowed_transitions, change_status
from madoguchi.applications.models import Application
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


def test_review_then_ready_for_handoff_is_audited(received, reviewer):
    change_status(received.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(received.pk, Status.READY_FOR_HANDOFF, actor=reviewer)
    received.refresh_from_db()
    assert received.status == Status.READY_FOR_HANDOFF
    events = AuditEvent.objects.filter(
        action=AuditAction.APPLICATION_STATUS_CHANGED, target_id=received.receipt_number
    )
    assert [(e.extra["from"], e.extra["to"], e.actor) for e in events] == [
        ("received", "in_review", reviewer),
        ("in_review", "ready_for_handoff", reviewer),
    ]


def test_a_step_outside_the_workflow_is_refused(received, reviewer):
    with pytest.raises(ValidationError):
        change_status(received.pk, Status.HANDED_OFF, actor=reviewer)
    received.refresh_from_db()
    assert received.status == Status.RECEIVED
    assert not AuditEvent.objects.filter(action=AuditAction.APPLICATION_STATUS_CHANGED).exists()


def test_rejection_needs_a_reason(received, reviewer):
    with pytest.raises(ValidationError):
        change_status(received.pk, Status.REJECTED, actor=reviewer, reason="  ")
    change_status(received.pk, Status.REJECTED, actor=reviewer, reason="受給資格がありません")
    received.refresh_from_db()
    assert received.status == Status.REJECTED


def test_a_clerk_of_another_department_cannot_change_it(received, kaigo_clerk):
    with pytest.raises(PermissionDenied):
        change_status(received.pk, Status.IN_REVIEW, actor=kaigo_clerk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_exactly_one_wins(received, reviewer, counter_clerk):
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(user) -> None:
        barrier.wait()
        try:
            change_status(received.pk, Status.IN_REVIEW, actor=user)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (reviewer, counter_clerk)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]


def test_the_decisions_are_the_reviewers(received, counter_clerk, reviewer):
    """A 窓口担当 takes an application into review, asks for corrections and records a
    withdrawal; approving it for hand-over, rejecting and completing are the reviewer's."""
    change_status(received.pk, Status.IN_REVIEW, actor=counter_clerk)
    for decision in (Status.READY_FOR_HANDOFF, Status.REJECTED):
        with pytest.raises(ValidationError, match="審査担当または所属長"):
            change_status(received.pk, decision, actor=counter_clerk, reason="理由")
    received.refresh_from_db()
    assert allowed_transitions(received, counter_clerk) == [
        Status.CORRECTION_REQUESTED,
        Status.WITHDRAWN,
    ]
    assert Status.READY_FOR_HANDOFF in allowed_transitions(received, reviewer)
    change_status(received.pk, Status.READY_FOR_HANDOFF, actor=reviewer)


def test_the_timeline_says_what_changed_in_labels_and_folds_the_reads(received, reviewer):
    from madoguchi.applications.actions.reads import record_view
    from madoguchi.applications.timeline import LATEST_READS, timeline

    reviewer.display_name = "審査 花子"
    reviewer.save()
    record_view(received, reviewer)
    assert timeline(received).reads == 1  # counted from the latest reads alone
    for _ in range(LATEST_READS + 2):
        record_view(received, reviewer)
    change_status(received.pk, Status.IN_REVIEW, actor=reviewer)
    record_view(received, reviewer)

    shown = timeline(received)
    assert [(e.label, e.change, e.actor) for e in shown.entries] == [
        ("申請受付", "", "システム"),
        ("ステータス変更", "受付 → 審査中", "審査 花子"),
    ]
    assert shown.reads == LATEST_READS + 4
    assert len(shown.latest_reads) == LATEST_READS
    assert shown.latest_reads[0].at >= shown.entries[-1].at
