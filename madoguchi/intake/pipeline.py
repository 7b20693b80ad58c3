"""③-2 取り込み: one package in, one outcome out; nothing lost, nothing doubled."""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from madoguchi.applications.actions import receive_application, receive_correction
from madoguchi.applications.models import Application, CorrectionReply, Evidence
from madoguchi.applications.received import ReceivedAttachment, ReceivedPackage
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.jpki import BasicFour, serial_hex
from madoguchi.procedures.models import Procedure

from .constants import Outcome, Reason, Rejection
from .formats.madoguchi_pittari import VerifiedPackage, peek_receipt_number, read_package
from .models import QuarantinedPackage

log = logging.getLogger(__name__)


class _Expired(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the checks of one package after ``seconds`` (main thread only: signals).

    Python code is interrupted between bytecodes; a single long call into C (a parser)
    finishes first, which the size limits in zipsafe and signature keep short.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class ImportResult:
    file: str
    receipt_number: str
    outcome: Outcome
    reason: Reason | None = None
    detail: str = ""

    def as_json(self) -> dict[str, str | None]:
        return {
            "file": self.file,
            "receipt_number": self.receipt_number or None,
            "outcome": self.outcome.value,
            "reason": self.reason.value if self.reason else None,
        }


def import_package(data: bytes, file_name: str) -> ImportResult:
    sha256 = hashlib.sha256(data).hexdigest()
    known = Evidence.objects.filter(package_sha256=sha256).select_related("application").first()
    if known is not None:
        return ImportResult(file_name, known.application.receipt_number, Outcome.DUPLICATE)
    answer = CorrectionReply.objects.filter(package_sha256=sha256).first()
    if answer is not None:
        return ImportResult(file_name, answer.receipt_number, Outcome.DUPLICATE)
    try:
        try:
            with time_limit(settings.INTAKE_TIME_LIMIT_SECONDS):
                package = read_package(data, now=timezone.now())
        except _Expired:
            raise Rejection(
                Reason.PROCESSING_TIMEOUT, f"> {settings.INTAKE_TIME_LIMIT_SECONDS} s"
            ) from None
        procedure = Procedure.objects.filter(
            procedure_id=package.procedure_id, version=package.procedure_version
        ).first()
        if procedure is None:
            raise Rejection(
                Reason.PROCEDURE_UNKNOWN, f"{package.procedure_id}@{package.procedure_version}"
            )
        if (
            Application.objects.filter(receipt_number=package.receipt_number).exists()
            or CorrectionReply.objects.filter(receipt_number=package.receipt_number).exists()
        ):
            raise Rejection(Reason.RECEIPT_CONFLICT, package.receipt_number)
        try:
            _receive(package, procedure, data=data, sha256=sha256, file_name=file_name)
        except IntegrityError:
            # Another worker stored the same receipt number between our check and insert.
            if (
                Evidence.objects.filter(package_sha256=sha256).exists()
                or CorrectionReply.objects.filter(package_sha256=sha256).exists()
            ):
                return ImportResult(file_name, package.receipt_number, Outcome.DUPLICATE)
            raise Rejection(Reason.RECEIPT_CONFLICT, package.receipt_number) from None
        except DataError as exc:
            # A value the database refuses (too long for its column, NUL on PostgreSQL):
            # this package can never be stored, so it is kept aside, not retried forever.
            raise Rejection(Reason.STORAGE_REFUSED, str(exc).splitlines()[0][:200]) from None
        return ImportResult(file_name, package.receipt_number, Outcome.ACCEPTED)
    except Rejection as rejection:
        receipt_number = peek_receipt_number(data)
        quarantine(data, sha256, file_name, receipt_number, rejection)
        return ImportResult(
            file_name, receipt_number, Outcome.QUARANTINED, rejection.reason, rejection.detail
        )


def received(package: VerifiedPackage) -> ReceivedPackage:
    """The verified package as the plain values the workflow takes."""
    check = package.certificate_check
    return ReceivedPackage(
        receipt_number=package.receipt_number,
        submitted_at=package.submitted_at,
        municipality_code=package.municipality_code,
        submitter=package.submitter,
        form=package.form,
        attachments=tuple(
            ReceivedAttachment(a.name, a.media_type, a.sha256, len(a.content))
            for a in package.attachments
        ),
        signer_certificate_pem=package.certificate.public_bytes(
            serialization.Encoding.PEM
        ).decode(),
        signer_serial=serial_hex(package.certificate),
        basic_four=BasicFour.from_certificate(package.certificate),
        trust_anchor_subject=check.anchor.subject,
        crl_number=check.crl.crl_number if check.crl else None,
        crl_this_update=check.crl.this_update if check.crl else None,
        revocation_pending=check.revocation_pending,
        correction_of=package.correction_of,
    )


@transaction.atomic
def _receive(
    package: VerifiedPackage, procedure: Procedure, *, data: bytes, sha256: str, file_name: str
) -> None:
    """A 補正 answer goes into the application waiting for it; anything else is new."""
    plain = received(package)
    if plain.correction_of and receive_correction(
        plain, procedure, data=data, sha256=sha256, file_name=file_name
    ):
        return
    receive_application(plain, procedure, data=data, sha256=sha256, file_name=file_name)


@transaction.atomic
def quarantine(
    data: bytes, sha256: str, file_name: str, receipt_number: str, rejection: Rejection
) -> None:
    """Keep the package byte for byte with its reason; the same bytes are kept once."""
    if QuarantinedPackage.objects.filter(sha256=sha256, reason=rejection.reason).exists():
        return
    QuarantinedPackage.objects.create(
        file_name=file_name[:255],
        receipt_number=receipt_number,
        sha256=sha256,
        content=data,
        reason=rejection.reason,
        detail=rejection.detail[:2000],
    )
    record(
        AuditAction.APPLICATION_QUARANTINED,
        actor=None,
        target_type="package",
        target_id=sha256,
        extra={
            "file": file_name,
            "reason": rejection.reason.value,
            "receipt_number": receipt_number,
        },
    )
    log.warning("quarantined %s (%s): %s", file_name, rejection.reason.value, rejection.detail)
