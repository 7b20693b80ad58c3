"""Receiving a verified online application: the signed form taken, the applicant identified, the
deadline set, duplicates flagged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.jpki import BasicFour
from madoguchi.lib.office_calendar import deadline
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import (
    ATTACHMENTS_KEY,
    clean_form,
    validate_attachments,
    validate_form,
)
from madoguchi.residents.identification import (
    IdentificationResult,
    identify,
    identify_person_concerned,
)
from madoguchi.vocabulary import (
    Identification,
    Status,
    Submitter,
)

from ..models import (
    Application,
    Evidence,
)
from ..received import ReceivedPackage
from ..sealing import has_my_number, kept_package, seal
from .duplicates import flag_duplicates
from .workflow import closed_days

NAME_COLUMN = Application._meta.get_field("applicant_name").max_length or 100


def identify_signer(
    serial: str,
    signing_time: dt.datetime,
    basic_four: BasicFour | None,
    submitter: str,
    procedure: Procedure,
    form: dict[str, str],
) -> tuple[IdentificationResult, IdentificationResult]:
    """(the signer, the person concerned): the same resident unless it is 代理申請."""
    signer = identify(serial, signing_time, basic_four)
    if submitter != Submitter.PROXY:
        return signer, signer
    return signer, identify_person_concerned(
        signer,
        form.get(procedure.field_for("applicant.name") or "", ""),
        form.get(procedure.field_for("applicant.birth_date") or "", ""),
    )


def form_date(value: str) -> dt.date | None:
    """A form's date (YYYY-MM-DD, as the validator requires), or None."""
    try:
        return dt.date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
    except ValueError:
        return None


def take_form(
    application: Application,
    procedure: Procedure,
    form: dict[str, str],
    attachments: list[dict[str, Any]],
) -> None:
    """One receiving path for an application and a 補正 answer: the signed form (cleaned)
    and attachments, their field-level problems, and the list and search columns."""
    application.procedure = procedure
    application.form = form
    application.attachments = attachments
    application.form_errors = validate_form(procedure.fields, form)
    problems = validate_attachments(procedure.attachments, attachments, form)
    if problems:
        application.form_errors[ATTACHMENTS_KEY] = problems
    # List and search columns: a signed value longer than they hold (flagged by the
    # validator) is cut here only; the form keeps it whole.
    for column, semantic in (
        ("applicant_name", "applicant.name"),
        ("applicant_kana", "applicant.kana"),
    ):
        setattr(
            application, column, form.get(procedure.field_for(semantic) or "", "")[:NAME_COLUMN]
        )
    application.applicant_birth_date = form_date(
        form.get(procedure.field_for("applicant.birth_date") or "", "")
    )
    application.set_search_keys()
    # Checked in clear, kept masked: the 個人番号 values go under the keys (sealing.py).
    application.form, application.form_secrets = seal(procedure.fields, form)


@transaction.atomic(savepoint=False)
def receive_application(
    package: ReceivedPackage, procedure: Procedure, *, data: bytes, sha256: str, file_name: str
) -> Application:
    """Store a verified package and its parsed form; the caller has checked for duplicates."""
    basic_four = package.basic_four
    serial = package.signer_serial
    form = clean_form(package.form)
    signer, result = identify_signer(
        serial, package.submitted_at, basic_four, package.submitter, procedure, form
    )
    outcome, resident, notes = result.outcome, result.resident, result.notes
    if package.revocation_pending:
        # Never accepted silently: held until a fresh CRL shows the certificate was good.
        outcome, notes = (
            Identification.REVOCATION_PENDING,
            ["有効なCRLがないため失効確認待ち", *notes],
        )
    now = timezone.now()
    application = Application(
        receipt_number=package.receipt_number,
        status=Status.RECEIVED,
        submitted_at=package.submitted_at,
        status_changed_at=now,
        submitter=package.submitter,
        municipality_code=package.municipality_code,
        resident=resident,
        signer=signer.resident,
        identification=outcome,
        identification_notes=notes,
        # 処理期限: from the day after 到達 (the portal's time), in the catalog's unit.
        due_date=deadline(
            timezone.localdate(package.submitted_at),
            procedure.processing_days,
            procedure.processing_unit,
            closed_days(),
        ),
        correction_of=package.correction_of,
    )
    take_form(application, procedure, form, [a.as_dict() for a in package.attachments])
    application.save()
    plain, sealed = kept_package(data, has_my_number(procedure.fields))
    Evidence.objects.create(
        application=application,
        file_name=file_name,
        package=plain,
        package_sealed=sealed,
        package_sha256=sha256,
        signer_certificate_pem=package.signer_certificate_pem,
        signer_serial=serial,
        signer_basic_four=basic_four.as_dict() if basic_four else {},
        trust_anchor_subject=package.trust_anchor_subject,
        crl_number=package.crl_number,
        crl_this_update=package.crl_this_update,
        verified_at=now,
    )
    record(
        AuditAction.APPLICATION_RECEIVED,
        actor=None,
        target=application,
        extra={"sha256": sha256, "identification": outcome, "procedure": procedure.procedure_id},
    )
    flag_duplicates(application)
    return application
