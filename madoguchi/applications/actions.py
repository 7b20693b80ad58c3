"""The only code that creates applications or changes their status (STYLE.md §2)."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.cells import HIDDEN
from madoguchi.lib.jpki import BasicFour
from madoguchi.lib.office_calendar import counted_days, deadline, extend
from madoguchi.lib.scans import media_type_of
from madoguchi.lib.text import normalize_for_match
from madoguchi.linking.deliveries import schedule_delivery, withdraw_delivery
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
    search_residents,
)
from madoguchi.residents.models import Resident

from .applicant_text import REJECTION_NOTICE_KEY, applicant_message, rejection_notice, status_text
from .constants import (
    MAY_MOVE_TO,
    OPEN_STATUSES,
    PORTAL_STATUS,
    REASON_REQUIRED,
    RECEIPT_PREFIX,
    TRANSITIONS,
    Channel,
    Identification,
    Settlement,
    Status,
    Submitter,
)
from .models import (
    ApplicantText,
    Application,
    ApplicationRead,
    CorrectionReply,
    DuplicateSuspicion,
    Evidence,
    PaperDocument,
    PortalStatusUpdate,
)
from .received import ReceivedPackage, RevocationFinding
from .sealing import has_my_number, kept_package, my_number_keys, seal, unseal

NAME_COLUMN = Application._meta.get_field("applicant_name").max_length or 100


def closed_days() -> list[dt.date]:
    """The days this municipality closes besides the national calendar (settings)."""
    return [dt.date.fromisoformat(day) for day in settings.CLOSED_DAYS]


def _identify(
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


def _take_form(
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
    problems = validate_attachments(procedure.attachments, attachments)
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
    signer, result = _identify(
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
    _take_form(application, procedure, form, [a.as_dict() for a in package.attachments])
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


# A scan larger than this is refused (a 20-page colour scan at 300 dpi is about 10 MB).
SCAN_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class PaperFile:
    """A scan as uploaded: its name and bytes (what it is, is read from the bytes)."""

    name: str
    content: bytes


def may_file(user: User, procedure: Procedure) -> bool:
    return user.may_file_applications and user.department_id == procedure.department_id


@transaction.atomic
def file_application(
    procedure: Procedure,
    resident: Resident,
    form: dict[str, str],
    *,
    actor: User,
    channel: Channel,
    arrived_on: dt.date | None = None,
    scans: Sequence[PaperFile] = (),
) -> Application:
    """書かない窓口 or 郵送: staff file the catalog form for a resident they found in the
    registry, with the same validation as an online form; but where an online form is
    stored with its problems (the applicant signed it), a clerk's form with a problem is
    refused field by field (ValidationError with a message per field), to be corrected
    while the resident is there.

    Counter: received now. Mail: received on the day stamped on arrival (到達日), from
    which the 処理期限 counts. Attachments shown on paper are checked at the counter; a
    scan (the form that came by post, a document) is kept with the application."""
    if channel not in RECEIPT_PREFIX:
        raise ValueError(channel)
    if not may_file(actor, procedure):
        raise PermissionDenied
    form = clean_form(form)
    errors = validate_form(procedure.fields, form)
    today = timezone.localdate()
    now = timezone.now()
    if channel == Channel.MAIL:
        if arrived_on is None:
            errors["arrived_on"] = [_("到達日を入力してください")]
        elif arrived_on > today:
            errors["arrived_on"] = [_("到達日に未来の日付は入力できません")]
    papers = []
    for scan in scans:
        try:
            papers.append(_checked_scan(scan))
        except ValidationError as exc:
            errors.setdefault("scan", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    start = arrived_on if channel == Channel.MAIL and arrived_on else today
    application = Application(
        status=Status.RECEIVED,
        submitted_at=(
            timezone.make_aware(dt.datetime.combine(start, dt.time())) if start != today else now
        ),
        status_changed_at=now,
        submitter=Submitter.SELF,
        municipality_code=settings.MUNICIPALITY_CODE,
        resident=resident,
        identification=Identification.IDENTIFIED,
        identification_notes=[
            _("%(user)s が住民記録で本人を確認(%(channel)s)")
            % {"user": actor, "channel": channel.label}
        ],
        due_date=deadline(
            start, procedure.processing_days, procedure.processing_unit, closed_days()
        ),
        channel=channel,
        filed_by=actor,
    )
    _take_form(application, procedure, form, [])
    # Attachments: seen on paper at the counter, or in the envelope; not missing files.
    application.form_errors.pop(ATTACHMENTS_KEY, None)
    _save_numbered(application, RECEIPT_PREFIX[channel] + start.strftime("%Y%m%d"))
    for name, media_type, content in papers:
        _keep_paper(application, name, media_type, content, actor)
    record(
        AuditAction.APPLICATION_FILED,
        actor=actor,
        target=application,
        extra={
            "channel": channel.value,
            "procedure": procedure.procedure_id,
            "resident_code": resident.resident_code,
        }
        | ({"arrived_on": start.isoformat()} if channel == Channel.MAIL else {}),
    )
    flag_duplicates(application)
    return application


def _save_numbered(application: Application, stem: str) -> None:
    """Give a filed application the next number of its channel and day (C20261201 0001…);
    two clerks filing at the same moment: the second takes the next one."""
    for _attempt in range(10):
        last = (
            Application.objects.filter(receipt_number__gt=stem, receipt_number__lt=stem + "~")
            .order_by("-receipt_number")
            .values_list("receipt_number", flat=True)
            .first()
        )
        application.receipt_number = f"{stem}{int(last[len(stem) :]) + 1 if last else 1:04d}"
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            application.pk = None
            continue
        return
    raise IntegrityError(stem)


def _checked_scan(scan: PaperFile) -> tuple[str, str, bytes]:
    """(safe name, media type from the bytes, bytes), or ValidationError in Japanese."""
    media_type = media_type_of(scan.content)
    if media_type is None:
        raise ValidationError({"scan": [_("読み取りファイルは PDF・PNG・JPEG にしてください")]})
    if len(scan.content) > SCAN_MAX_BYTES:
        raise ValidationError(
            {"scan": [_("読み取りファイルは %(n)d MB までです") % {"n": SCAN_MAX_BYTES >> 20}]}
        )
    name = HIDDEN.sub("", unicodedata.normalize("NFC", PurePosixPath(scan.name).name))
    name = name.replace("\\", "_").strip()[:100] or "scan"
    return name, media_type, scan.content


def _keep_paper(
    application: Application, name: str, media_type: str, content: bytes, actor: User
) -> None:
    sha256 = hashlib.sha256(content).hexdigest()
    document = PaperDocument.objects.create(
        application=application,
        name=name,
        media_type=media_type,
        sha256=sha256,
        content=content,
        received_by=actor,
    )
    application.attachments = [
        *application.attachments,
        {
            "name": name,
            "media_type": media_type,
            "sha256": sha256,
            "size": len(content),
            "paper": document.pk,
        },
    ]
    application.save(update_fields=["attachments"])


@transaction.atomic
def receive_paper_signature(
    application_id: int, *, actor: User, scan: PaperFile | None = None
) -> Application:
    """The resident checked the printed 申請書 and signed it: recorded as received, with its
    scan when the office scans."""
    application = (
        Application.objects.select_for_update().select_related("procedure").get(pk=application_id)
    )
    if application.channel == Channel.ONLINE or not may_file(actor, application.procedure):
        raise PermissionDenied
    if application.paper_signed_at is not None:
        raise ValidationError(_("署名済の申請書は受領済みです"))
    paper = _checked_scan(scan) if scan is not None else None
    application.paper_signed_at = timezone.now()
    application.save(update_fields=["paper_signed_at"])
    if paper is not None:
        _keep_paper(application, *paper, actor)
    record(
        AuditAction.PAPER_SIGNATURE_RECEIVED,
        actor=actor,
        target=application,
        extra={"scan": paper[0] if paper else None},
    )
    return application


def flag_duplicates(application: Application) -> list[DuplicateSuspicion]:
    """重複の可能性: the same resident (the same registry link, whatever the channel) and
    procedure as another application still open, or completed within the catalog's
    ``duplicate_window_days``; with the catalog's ``duplicate_key`` fields (e.g. the
    child of a 認定請求) equal too. Marked on both, in both timelines."""
    if application.resident_id is None:
        return []
    procedure = application.procedure
    definition = procedure.definition
    window = int(definition.get("duplicate_window_days", 0))
    # Asked for every application received: the SQL is written once, as for the other
    # per-package lookups (building it through the ORM cost more than running it).
    table = Application._meta.db_table
    procedures = Procedure._meta.db_table
    alive = sorted(OPEN_STATUSES)
    since = timezone.now() - dt.timedelta(days=window)
    others = Application.objects.raw(
        f"SELECT a.id, a.receipt_number, a.form FROM {table} a"  # noqa: S608 (models' tables)
        f" JOIN {procedures} p ON p.id = a.procedure_id"
        " WHERE a.resident_id = %s AND a.id <> %s AND p.procedure_id = %s"
        f" AND (a.status IN ({', '.join(['%s'] * len(alive))})"
        " OR (%s AND a.status = %s AND a.status_changed_at >= %s))",
        [
            application.resident_id,
            application.pk,
            procedure.procedure_id,
            *alive,
            window > 0,
            Status.COMPLETED.value,
            connection.ops.adapt_datetimefield_value(since),
        ],
    )
    key = [str(k) for k in definition.get("duplicate_key", [])]
    found = []
    for other in others:
        if any(
            normalize_for_match(str(other.form.get(k, "")))
            != normalize_for_match(str(application.form.get(k, "")))
            for k in key
        ):
            continue
        first, second = sorted((application, other), key=lambda a: a.pk)
        suspicion, created = DuplicateSuspicion.objects.get_or_create(first=first, second=second)
        if not created:
            continue
        found.append(suspicion)
        for one, two in ((application, other), (other, application)):
            record(
                AuditAction.DUPLICATE_SUSPECTED,
                actor=None,
                target=one,
                extra={"other": two.receipt_number, "suspicion": suspicion.pk},
            )
    return found


def blocking_duplicates(application: Application) -> list[DuplicateSuspicion]:
    """The 重複の可能性 that keep it from being approved (DuplicateSuspicion.blocks)."""
    return [
        s
        for s in DuplicateSuspicion.objects.filter(
            Q(first=application) | Q(second=application), settled_at__isnull=True
        ).select_related("first", "second")
        if s.blocks(application)
    ]


@transaction.atomic
def settle_duplicate(
    suspicion_id: int, *, actor: User, withdraw: Application | None, reason: str
) -> DuplicateSuspicion:
    """A reviewer or manager settles a 重複の可能性: both valid, or one of the two withdrawn
    (the reason goes to its applicant as a 取下げ's does). Audited on both."""
    suspicion = (
        DuplicateSuspicion.objects.select_for_update()
        .select_related("first", "second")
        .get(pk=suspicion_id)
    )
    pair = (suspicion.first, suspicion.second)
    visible = Application.objects.visible_to(actor).filter(pk__in=[a.pk for a in pair]).count()
    if visible != 2:
        raise PermissionDenied
    if actor.role not in MAY_MOVE_TO[Status.READY_FOR_HANDOFF]:
        raise ValidationError(_("重複の確認ができるのは審査担当または所属長です"))
    if suspicion.is_settled:
        raise ValidationError(_("この重複の可能性は確認済みです"))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("確認した内容(理由)を入力してください"))
    if withdraw is not None:
        if withdraw.pk not in (a.pk for a in pair):
            raise ValidationError(_("取り下げる申請が正しくありません"))
        change_status(withdraw.pk, Status.WITHDRAWN, actor=actor, reason=reason)
    suspicion.settled_at = timezone.now()
    suspicion.settled_by = actor
    suspicion.settlement = Settlement.WITHDRAWN if withdraw is not None else Settlement.BOTH_VALID
    suspicion.reason = reason
    suspicion.save()
    for one, two in (pair, pair[::-1]):
        record(
            AuditAction.DUPLICATE_SETTLED,
            actor=actor,
            target=one,
            extra={
                "other": two.receipt_number,
                "settlement": suspicion.settlement,
                "withdrawn": withdraw.receipt_number if withdraw else None,
                "reason": reason,
            },
        )
    return suspicion


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
    _take_form(
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
        signer, result = _identify(
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


def allowed_transitions(application: Application, user: User) -> list[Status]:
    """What this member of staff may choose on the screen: 基幹連携済 is not among them, it
    follows from the core system's acknowledgement (or 転記済 on the transcription screen)."""
    return sorted(
        (
            s
            for s in TRANSITIONS[Status(application.status)] - {Status.HANDED_OFF}
            if user.role in MAY_MOVE_TO[s]
        ),
        key=list(Status).index,
    )


@transaction.atomic
def change_status(
    application_id: int,
    to_status: Status,
    *,
    actor: User | None,
    reason: str = "",
    memo: str = "",
    handoff: bool = False,
) -> Application:
    """Move one application along the workflow; the row is locked for the change.

    ``reason`` is the message to the applicant (the portal shows it word for word, see
    applicant_text); ``memo`` is for staff only and stays in the audit log and the 経過.

    基幹連携待ち schedules the delivery to the core system; 基幹連携済 is reached only from
    a delivery's acknowledgement (``handoff=True``, linking.actions.acknowledge).
    """
    application = Application.objects.select_for_update().get(pk=application_id)
    if (
        actor is not None
        and not Application.objects.visible_to(actor).filter(pk=application_id).exists()
    ):
        raise PermissionDenied
    current = Status(application.status)
    if actor is not None and actor.role not in MAY_MOVE_TO[to_status]:
        raise ValidationError(
            _("「%(to)s」にできるのは審査担当または所属長です") % {"to": to_status.label}
        )
    if to_status not in TRANSITIONS[current]:
        raise ValidationError(
            _("「%(from)s」から「%(to)s」には変更できません")
            % {"from": current.label, "to": to_status.label}
        )
    if to_status == Status.HANDED_OFF and not handoff:
        raise ValidationError(
            _("基幹連携済には、基幹システムの取込結果または転記画面の「転記済」で変わります")
        )
    reason = reason.strip()
    if to_status in REASON_REQUIRED and not reason:
        raise ValidationError(_("「%(to)s」には理由の入力が必要です") % {"to": to_status.label})
    if current == Status.READY_FOR_HANDOFF and to_status != Status.HANDED_OFF:
        withdraw_delivery(application)
    if to_status == Status.READY_FOR_HANDOFF:
        if blocking_duplicates(application):
            raise ValidationError(
                _(
                    "重複の可能性がある申請です。もう一方と見比べて確認を済ませてから承認してください"
                )
            )
        schedule_delivery(application)
    now = timezone.now()
    if current == Status.CORRECTION_REQUESTED:
        # The clock stopped while the applicant corrected: the deadline moves by those days.
        unit, closed = application.procedure.processing_unit, closed_days()
        paused = counted_days(
            timezone.localdate(application.status_changed_at), timezone.localdate(now), unit, closed
        )
        application.due_date = extend(application.due_date, paused, unit, closed)
    application.status = to_status
    application.status_changed_at = now
    application.save(update_fields=["status", "status_changed_at", "due_date"])
    _queue_portal_update(application, to_status, reason)
    record(
        AuditAction.APPLICATION_STATUS_CHANGED,
        actor=actor,
        target=application,
        extra={"from": current.value, "to": to_status.value, "reason": reason}
        | ({"memo": memo.strip()} if memo.strip() else {}),
    )
    return application


def _queue_portal_update(application: Application, status: Status, reason: str) -> None:
    """Tell the applicant, unless the portal already shows the same thing (or it was not
    filed through the portal: a counter or mail applicant is told by letter)."""
    if application.channel != Channel.ONLINE:
        return
    portal_status = PORTAL_STATUS.get(status)
    if portal_status is None:
        return
    message = applicant_message(application.procedure, status, reason)
    last = application.portalstatusupdate_set.order_by("-id").first()
    if last is not None and last.status == portal_status and last.message == message:
        return
    PortalStatusUpdate.objects.create(
        application=application, status=portal_status, message=message
    )


@transaction.atomic
def assign(application_id: int, assignee: User | None, *, actor: User) -> Application:
    """Give an application to a member of its department (or to no one)."""
    application = (
        Application.objects.select_for_update().select_related("procedure").get(pk=application_id)
    )
    if not Application.objects.visible_to(actor).filter(pk=application_id).exists():
        raise PermissionDenied
    if assignee is not None and (
        not assignee.is_active or assignee.department_id != application.procedure.department_id
    ):
        raise ValidationError(_("担当者は申請の所属の職員から選んでください"))
    previous = application.assignee
    if previous == assignee:
        return application
    application.assignee = assignee
    application.save(update_fields=["assignee"])
    record(
        AuditAction.APPLICATION_ASSIGNED,
        actor=actor,
        target=application,
        extra={
            "from": previous.username if previous else None,
            "to": assignee.username if assignee else None,
        },
    )
    return application


@dataclass
class ItemResult:
    """What a bulk operation did to one application."""

    receipt_number: str
    ok: bool
    message: str


def for_each(
    receipt_numbers: list[str], actor: User, do: Callable[[Application], str]
) -> list[ItemResult]:
    """Run one action per application, each in its own transaction: one refusal leaves the
    others done, and every item gets its own result."""
    visible = dict(
        Application.objects.visible_to(actor)
        .filter(receipt_number__in=receipt_numbers)
        .values_list("receipt_number", "pk")
    )
    results = []
    for receipt_number in receipt_numbers:
        if receipt_number not in visible:
            results.append(ItemResult(receipt_number, False, _("申請が見つかりません")))
            continue
        try:
            message = do(Application(pk=visible[receipt_number]))
        except ValidationError as exc:
            results.append(ItemResult(receipt_number, False, " ".join(exc.messages)))
        except PermissionDenied:
            results.append(ItemResult(receipt_number, False, _("この操作の権限がありません")))
        else:
            results.append(ItemResult(receipt_number, True, message))
    return results


def record_view(application: Application, viewer: User) -> None:
    """Reading an application's personal data is itself an audited event; the first read by
    this member of staff also ends its 新着 for them."""
    record_read(application, viewer, AuditAction.APPLICATION_VIEWED)
    ApplicationRead.objects.bulk_create(
        [ApplicationRead(application=application, user=viewer)], ignore_conflicts=True
    )


@transaction.atomic
def set_applicant_texts(procedure: Procedure, texts: dict[str, str], *, actor: User) -> list[str]:
    """The municipality's wording of what applicants read (by status code, or the 教示);
    a text equal to the catalog's (or empty) goes back to the catalog's. Returns the kinds
    changed, each audited with its old and new words."""
    if not actor.may_edit_applicant_texts(procedure.department_id):
        raise PermissionDenied
    changed = []
    for kind, text in texts.items():
        text = text.strip()
        # The words the applicant reads with no wording of the municipality's own.
        catalog = (
            rejection_notice(procedure, own={})
            if kind == REJECTION_NOTICE_KEY
            else status_text(procedure, Status(kind), own={})
        )
        current = ApplicantText.objects.filter(procedure_id=procedure.procedure_id, kind=kind)
        before = current.values_list("text", flat=True).first() or catalog
        text = text or catalog.strip()
        if text == before.strip():
            continue
        if text == catalog.strip():
            current.delete()
        else:
            ApplicantText.objects.update_or_create(
                procedure_id=procedure.procedure_id,
                kind=kind,
                defaults={"text": text, "updated_by": actor},
            )
        record(
            AuditAction.APPLICANT_TEXT_CHANGED,
            actor=actor,
            target_type="procedure",
            target_id=procedure.procedure_id,
            extra={"kind": kind, "from": before, "to": text},
        )
        changed.append(kind)
    return changed


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


def search_registry_for_filing(
    reader: User, *, text: str, birth_date: dt.date | None, atena_number: str
) -> list[Resident]:
    """The registry searched at the counter to file for a resident: by 宛名番号, or by birth
    date and the start of the name or kana. Audited like every read of residents' data."""
    if not reader.may_file_applications:
        raise PermissionDenied
    if atena_number:
        found = list(Resident.objects.filter(atena_number=atena_number)[:1])
    elif birth_date is not None:
        found = search_residents(text, birth_date)
    else:
        return []
    record(
        AuditAction.RESIDENTS_SEARCHED,
        actor=reader,
        target_type="counter",
        extra={
            "name": text,
            "birth_date": birth_date.isoformat() if birth_date else "",
            "atena_number": atena_number,
            "count": len(found),
        },
    )
    return found


def record_list_export(reader: User, query: str, count: int) -> None:
    """A list of applications downloaded as a file: who, with which filters, how many."""
    record(
        AuditAction.APPLICATION_LIST_EXPORTED,
        actor=reader,
        target_type="application_list",
        extra={"filters": query, "count": count},
    )


@transaction.atomic
def reveal_form_my_numbers(
    application: Application, *, viewer: User, purpose: str
) -> dict[str, str]:
    """The form with its 個人番号 items in clear, for a role that may read them; the read is
    audited (which items, for what). Without such items it is the form as stored."""
    if not viewer.may_read_my_number:
        raise PermissionDenied
    keys = my_number_keys(application.procedure.fields, application.form)
    if keys:
        record(
            AuditAction.MY_NUMBER_VIEWED,
            actor=viewer,
            target=application,
            extra={"purpose": purpose, "items": sorted(keys)},
        )
    return application.form_with_my_numbers()


def record_read(
    application: Application,
    reader: User | None,
    action: AuditAction,
    extra: dict[str, Any] | None = None,
) -> None:
    """An audited read of an application's personal data: a screen, a download, an
    attachment, a core system's fetch (``reader`` None)."""
    record(action, actor=reader, target=application, extra=extra)


@transaction.atomic
def purge(application_id: int, now: dt.datetime | None, *, retention_years: int) -> None:
    """Retention: the application keeps only what proves it existed (受付番号, procedure,
    dates, status, the package's SHA-256) and loses its personal data."""
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application_id)
    if application.purged_at is not None:
        return
    application.form = {}
    application.form_secrets = None
    application.form_errors = {}
    application.attachments = []
    application.applicant_name = ""
    application.applicant_kana = ""
    application.applicant_birth_date = None
    application.set_search_keys()
    application.resident = None
    application.signer = None
    application.identification_notes = []
    application.purged_at = now
    application.save()
    sha256 = ""
    evidence = Evidence.objects.filter(application=application).first()
    if evidence is not None:
        sha256 = evidence.package_sha256
        evidence.package = b""
        evidence.package_sealed = None
        evidence.signer_certificate_pem = ""
        evidence.signer_basic_four = {}
        evidence.file_name = ""
        evidence.save()
    PortalStatusUpdate.objects.filter(application=application).update(message="")
    PaperDocument.objects.filter(application=application).update(content=b"", name="")
    CorrectionReply.objects.filter(application=application).update(
        package=b"",
        package_sealed=None,
        form={},
        form_secrets=None,
        previous_form={},
        previous_form_secrets=None,
        file_name="",
    )
    record(
        AuditAction.RETENTION_PURGED,
        actor=None,
        target=application,
        extra={"package_sha256": sha256, "retention_years": retention_years},
    )
