"""重複の可能性: an online and a counter application of one resident, in either order, flagged
by the catalog's window and key, shown side by side and settled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from conftest import sign_in
from madoguchi.applications.actions.duplicates import settle_duplicate
from madoguchi.applications.actions.filing import file_application
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application, DuplicateSuspicion
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.procedures.models import Procedure
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import Channel, Identification, Role, Settlement, Status
from tests.factories import (
    KAIGO_NINTEI,
    complete_form,
    file_kaigo_at_counter,
    make_application,
    online_and_counter_twin,
    procedure,
)


def test_an_online_and_a_counter_application_of_one_resident_are_possible_duplicates(
    trusted, reviewer
) -> None:
    """The same registry link, whatever the channel: approval waits until a clerk settles."""
    online, counter = online_and_counter_twin(trusted, reviewer)
    assert online.identification == Identification.IDENTIFIED
    suspicion = DuplicateSuspicion.objects.get()
    assert {suspicion.first, suspicion.second} == {online, counter}
    for application in (online, counter):
        assert AuditEvent.objects.filter(
            action=AuditAction.DUPLICATE_SUSPECTED, target_id=application.receipt_number
        ).exists()
        change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
        with pytest.raises(ValidationError, match="重複の可能性"):
            change_status(application.pk, Status.READY_FOR_HANDOFF, actor=reviewer)

    with pytest.raises(ValidationError):
        settle_duplicate(suspicion.pk, actor=reviewer, withdraw=counter, reason="  ")
    settle_duplicate(
        suspicion.pk, actor=reviewer, withdraw=counter, reason="オンラインで申請済みのため"
    )
    counter.refresh_from_db()
    suspicion.refresh_from_db()
    assert counter.status == Status.WITHDRAWN
    assert suspicion.settlement == Settlement.WITHDRAWN and suspicion.settled_by == reviewer
    settled = AuditEvent.objects.filter(action=AuditAction.DUPLICATE_SETTLED)
    assert {e.target_id for e in settled} == {online.receipt_number, counter.receipt_number}
    assert all(e.actor == reviewer and e.extra["reason"] for e in settled)
    change_status(online.pk, Status.READY_FOR_HANDOFF, actor=reviewer)  # now it may
    with pytest.raises(ValidationError, match="確認済み"):
        settle_duplicate(suspicion.pk, actor=reviewer, withdraw=None, reason="再度")


def test_a_package_arriving_after_a_counter_filing_is_marked_too(trusted, reviewer) -> None:
    generated = [g for g in trusted.generated if g.procedure_id == "jidou-teate-nintei"][1]
    resident = Resident.objects.get(
        name=generated.form["applicant_name"],
        birth_date=dt.date.fromisoformat(generated.form["applicant_birth_date"]),
    )
    counter = file_application(
        procedure("jidou-teate-nintei"),
        resident,
        complete_form("jidou-teate-nintei"),
        actor=reviewer,
        channel=Channel.COUNTER,
    )
    import_package(generated.path.read_bytes(), generated.path.name)
    online = Application.objects.get(receipt_number=generated.receipt_number)
    assert DuplicateSuspicion.objects.filter(first=counter, second=online).exists()
    # Both valid (e.g. two different children): settled, and each may be approved.
    suspicion = DuplicateSuspicion.objects.get()
    with pytest.raises(ValidationError, match="審査担当または所属長"):
        settle_duplicate(
            suspicion.pk,
            actor=type(reviewer).objects.create_user(
                "madoka2", role=Role.COUNTER_CLERK, department=reviewer.department
            ),
            withdraw=None,
            reason="別の児童",
        )
    settle_duplicate(suspicion.pk, actor=reviewer, withdraw=None, reason="別の児童の請求")
    change_status(counter.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(counter.pk, Status.READY_FOR_HANDOFF, actor=reviewer)


def test_other_procedures_and_closed_applications_are_not_duplicates(
    catalog: None, kaigo_clerk, resident
) -> None:
    form = complete_form("kaigo-nintei", **KAIGO_NINTEI)
    make_application(
        "kaigo-nintei",
        resident=resident,
        identification=Identification.IDENTIFIED,
        status=Status.COMPLETED,
    )
    make_application("kaigo-koshin", resident=resident, identification=Identification.IDENTIFIED)
    file_application(
        procedure("kaigo-nintei"), resident, form, actor=kaigo_clerk, channel=Channel.COUNTER
    )
    assert not DuplicateSuspicion.objects.exists()


def test_a_catalog_window_and_key_decide_what_counts_as_the_same_application(
    catalog: None, kaigo_clerk, resident
) -> None:
    """``duplicate_window_days``: completed ones count for that long; ``duplicate_key``:
    the items that must be equal too (one 認定請求 per child)."""
    kaigo = procedure("kaigo-nintei")
    Procedure.objects.filter(pk=kaigo.pk).update(
        definition=kaigo.definition
        | {"duplicate_window_days": 365, "duplicate_key": ["insured_number"]}
    )
    kaigo.refresh_from_db()
    done = make_application(
        "kaigo-nintei",
        resident=resident,
        identification=Identification.IDENTIFIED,
        status=Status.COMPLETED,
    )
    done.form = dict(KAIGO_NINTEI)
    done.save()
    other_number = complete_form("kaigo-nintei", **KAIGO_NINTEI) | {"insured_number": "0000999999"}
    file_application(kaigo, resident, other_number, actor=kaigo_clerk, channel=Channel.COUNTER)
    assert not DuplicateSuspicion.objects.exists()
    same = complete_form("kaigo-nintei", **KAIGO_NINTEI)
    filed = file_application(kaigo, resident, same, actor=kaigo_clerk, channel=Channel.COUNTER)
    assert DuplicateSuspicion.objects.get().second == filed


def test_the_inbox_filters_by_channel_and_by_unsettled_duplicates(
    catalog: None, kaigo_clerk, resident, client
) -> None:
    online = make_application(
        "kaigo-nintei", resident=resident, identification=Identification.IDENTIFIED
    )
    counter = file_kaigo_at_counter(resident, kaigo_clerk)
    sign_in(client, kaigo_clerk)
    page = client.get("/applications/", {"channel": "counter"}).content.decode()
    assert counter.receipt_number in page and online.receipt_number not in page
    assert 'data-testid="channel">窓口' in page
    page = client.get("/applications/", {"duplicates": "on"}).content.decode()
    assert counter.receipt_number in page and online.receipt_number in page
    assert page.count('data-testid="duplicate"') == 2
    counts = Application.objects.channel_counts()
    assert counts == {"online": 1, "counter": 1, "mail": 0}


def test_the_duplicate_screen_shows_both_side_by_side_and_settles(
    catalog: None, kaigo_clerk, kaigo_reviewer, resident, client
) -> None:
    online = make_application(
        "kaigo-nintei",
        resident=resident,
        identification=Identification.IDENTIFIED,
    )
    online.form = dict(KAIGO_NINTEI) | {"applicant_phone": "03-0000-0000"}
    online.save()
    counter = file_kaigo_at_counter(resident, kaigo_clerk)
    suspicion = DuplicateSuspicion.objects.get()
    sign_in(client, kaigo_reviewer)
    url = f"/applications/{counter.receipt_number}/duplicates/{suspicion.pk}/"
    page = client.get(url).content.decode()
    assert online.receipt_number in page and "data-differs" in page
    assert AuditEvent.objects.filter(
        action=AuditAction.APPLICATION_VIEWED, target_id=online.receipt_number
    ).exists()
    assert client.post(url, {"withdraw": "someone-else", "reason": "x"}).status_code == 400
    response = client.post(url, {"withdraw": online.receipt_number, "reason": "窓口で再申請"})
    assert response.status_code == 302
    online.refresh_from_db()
    assert online.status == Status.WITHDRAWN
