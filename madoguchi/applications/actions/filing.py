"""Filing at the counter and by mail (窓口・郵送): numbered by madoguchi, the paper kept beside
the form, a paper signature received later."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.cells import HIDDEN
from madoguchi.lib.office_calendar import deadline
from madoguchi.lib.scans import media_type_of
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import (
    ATTACHMENTS_KEY,
    clean_form,
    validate_form,
)
from madoguchi.residents.identification import (
    search_residents,
)
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import (
    RECEIPT_PREFIX,
    Channel,
    Identification,
    Status,
    Submitter,
)

from ..models import (
    Application,
    PaperDocument,
)
from ..sealing import kept_package
from .duplicates import flag_duplicates
from .receiving import take_form
from .workflow import closed_days

# A scan larger than this is refused (a 20-page colour scan at 300 dpi is about 10 MB).
SCAN_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class PaperFile:
    """A scan as uploaded: its name and bytes (what it is, is read from the bytes)."""

    name: str
    content: bytes


def may_file(user: User, procedure: Procedure) -> bool:
    return user.may_file_for(procedure.department_id)


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
    take_form(application, procedure, form, [])
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
    plain, sealed = kept_package(content, sealed=True)  # it may carry the 個人番号
    document = PaperDocument.objects.create(
        application=application,
        name=name,
        media_type=media_type,
        sha256=sha256,
        content=plain,
        content_sealed=sealed,
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
    if application.channel == Channel.MAIL:
        # What came by post is the resident's own signed form: nothing to sign again.
        raise ValidationError(_("郵送の申請書は本人が署名した原本です。受領の記録はいりません"))
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
