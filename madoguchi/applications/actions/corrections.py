"""補正: the applicant's signed answer taken in, or held for a clerk to accept."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import (
    clean_form,
)
from madoguchi.residents.identification import (
    identify,
)
from madoguchi.vocabulary import (
    Status,
)

from ..models import (
    Application,
    CorrectionReply,
)
from ..received import ReceivedPackage
from ..sealing import has_my_number, kept_package, seal, unseal
from .receiving import take_form
from .workflow import change_status


@transaction.atomic(savepoint=False)
def receive_correction(
    package: ReceivedPackage, procedure: Procedure, *, data: bytes, sha256: str, file_name: str
) -> Application | None:
    """Take a 補正 answer into the application it answers, if that one is 補正依頼中 and of
    the same procedure; None otherwise (the caller then receives it as a new application)."""
    original = (
        Application.objects.select_for_update()
        .filter(
            receipt_number=package.correction_of,
            status=Status.CORRECTION_REQUESTED,
            procedure__procedure_id=procedure.procedure_id,
        )
        .first()
    )
    if original is None:
        return None
    serial = package.signer_serial
    signer = identify(serial, package.submitted_at, package.basic_four)
    # The answer must come from whoever signed the returned application (本人, or the
    # 代理人 who filed it) or from the person it concerns; anyone else's answer is held.
    allowed = {original.signer_id, original.resident_id} - {None}
    held = signer.resident is None or signer.resident.pk not in allowed
    form, secrets = seal(procedure.fields, clean_form(package.form))
    plain, sealed = kept_package(data, has_my_number(procedure.fields))
    reply = CorrectionReply.objects.create(
        application=original,
        procedure=procedure,
        receipt_number=package.receipt_number,
        submitted_at=package.submitted_at,
        file_name=file_name,
        package=plain,
        package_sealed=sealed,
        package_sha256=sha256,
        signer_serial=serial,
        form=form,
        form_secrets=secrets,
        previous_form=original.form,
        previous_form_secrets=original.form_secrets,
        attachments=[a.as_dict() for a in package.attachments],
        held=held,
    )
    if not held:
        return _take_reply(original, reply, actor=None)
    original.identification_notes = [
        *original.identification_notes,
        _(
            "補正の回答(受付番号 %(r)s)の署名者が元の申請の申請者・署名者と一致しません。"
            "内容は反映していません。確認のうえ採用してください"
        )
        % {"r": package.receipt_number},
    ]
    original.save(update_fields=["identification_notes"])
    record(
        AuditAction.CORRECTION_HELD,
        actor=None,
        target=original,
        extra={"reply": package.receipt_number, "sha256": sha256, "signer_serial": serial},
    )
    return original


def _take_reply(
    original: Application, reply: CorrectionReply, *, actor: User | None
) -> Application:
    """The answer's form and attachments become the application's; back to 審査中."""
    take_form(
        original,
        reply.procedure or original.procedure,
        unseal(reply.form, reply.form_secrets),
        [{**a, "reply": reply.pk} for a in reply.attachments],
    )
    original.save()
    record(
        AuditAction.CORRECTION_ACCEPTED if reply.held else AuditAction.CORRECTION_RECEIVED,
        actor=actor,
        target=original,
        extra={
            "reply": reply.receipt_number,
            "sha256": reply.package_sha256,
            "changed": [k for k, _b, _a in reply.changes],
        },
    )
    if reply.held:
        reply.held = False
        reply.save(update_fields=["held"])
    return change_status(
        original.pk,
        Status.IN_REVIEW,
        actor=actor,
        reason=_("補正の回答を受け付けました(受付番号 %(r)s)") % {"r": reply.receipt_number},
    )


@transaction.atomic
def accept_held_correction(reply_id: int, *, actor: User) -> Application:
    """A reviewer takes an answer held for its signer into the application it answers."""
    if not actor.may_resolve_identification:
        raise PermissionDenied(_("保留した補正の回答を採用できるのは審査担当です"))
    reply = CorrectionReply.objects.select_for_update().get(pk=reply_id)
    original = Application.objects.select_for_update().get(pk=reply.application_id)
    if not reply.held or original.status != Status.CORRECTION_REQUESTED:
        raise ValidationError(_("この補正の回答は採用できる状態ではありません"))
    reply.previous_form = original.form
    reply.previous_form_secrets = original.form_secrets
    reply.save(update_fields=["previous_form", "previous_form_secrets"])
    return _take_reply(original, reply, actor=actor)
