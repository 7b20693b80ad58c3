"""Identifying the applicant after arrival: a 確認待ち settled by a fresh CRL, a manual match by a
clerk, the registry searched for one."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.jpki import BasicFour
from madoguchi.residents.identification import (
    search_residents,
)
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import (
    Identification,
)

from ..models import (
    Application,
)
from ..received import RevocationFinding
from .duplicates import flag_duplicates
from .receiving import identify_signer


@transaction.atomic
def settle_revocation(application_id: int, finding: RevocationFinding) -> bool:
    """Settle an application held as 確認待ち with what a fresh CRL says (intake checks the
    certificate); True if it changed."""
    application = Application.objects.select_for_update().get(pk=application_id)
    if application.identification != Identification.REVOCATION_PENDING:
        return False
    evidence = application.evidence
    if finding.revoked_at is not None:
        outcome, resident = Identification.CERTIFICATE_REVOKED, application.resident
        notes = [
            _("署名時点で証明書が失効していました (失効日時 %(at)s)")
            % {"at": finding.revoked_at.isoformat()}
        ]
    else:
        signer, result = identify_signer(
            evidence.signer_serial,
            application.submitted_at,
            BasicFour.from_dict(evidence.signer_basic_four) if evidence.signer_basic_four else None,
            application.submitter,
            application.procedure,
            application.form,
        )
        outcome, resident, notes = result.outcome, result.resident, result.notes
        application.signer = signer.resident
    previous = application.identification
    application.identification = outcome
    application.resident = resident
    application.identification_notes = notes
    application.save(update_fields=["identification", "resident", "signer", "identification_notes"])
    if finding.crl_number is not None:
        evidence.crl_number = finding.crl_number
        evidence.crl_this_update = finding.crl_this_update
        evidence.save(update_fields=["crl_number", "crl_this_update"])
    record(
        AuditAction.IDENTIFICATION_CHANGED,
        actor=None,
        target=application,
        extra={"from": previous, "to": outcome, "reason": "crl"},
    )
    return True


MANUAL_MATCH_FROM = frozenset({Identification.NEEDS_REVIEW, Identification.UNIDENTIFIED})


@transaction.atomic
def resolve_identification(
    application_id: int, resident: Resident, *, actor: User, note: str
) -> Application:
    """A reviewer ties an application to a resident by hand (要確認 / 特定不可 → 特定済)."""
    application = Application.objects.select_for_update().get(pk=application_id)
    if not actor.may_resolve_identification or not (
        Application.objects.visible_to(actor).filter(pk=application_id).exists()
    ):
        raise PermissionDenied
    if application.identification not in MANUAL_MATCH_FROM:
        raise ValidationError(_("この申請は手動で特定できる状態ではありません"))
    note = note.strip()
    if not note:
        raise ValidationError(_("確認した内容を記入してください"))
    previous = application.identification
    application.identification = Identification.IDENTIFIED
    application.resident = resident
    application.identification_notes = [
        *application.identification_notes,
        _("%(user)s が手動で特定: %(note)s") % {"user": actor, "note": note},
    ]
    application.save(update_fields=["identification", "resident", "identification_notes"])
    record(
        AuditAction.IDENTIFICATION_CHANGED,
        actor=actor,
        target=application,
        extra={
            "from": previous,
            "to": Identification.IDENTIFIED.value,
            "reason": "manual",
            "resident_code": resident.resident_code,
            "note": note,
        },
    )
    flag_duplicates(application)
    return application


def search_registry(
    application: Application, reader: User, text: str, birth_date: dt.date
) -> list[Resident]:
    """The registry searched to match an application by hand: a read of residents' data,
    so audited with what was asked and how many were shown."""
    if not reader.may_resolve_identification:
        raise PermissionDenied
    found = search_residents(text, birth_date)
    record(
        AuditAction.RESIDENTS_SEARCHED,
        actor=reader,
        target=application,
        extra={"name": text, "birth_date": birth_date.isoformat(), "count": len(found)},
    )
    return found
