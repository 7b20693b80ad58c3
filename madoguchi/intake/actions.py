"""③-2 取り込み: one package in, one outcome out; nothing lost, nothing doubled. With the
quarantine's clerk actions (re-processing, audited download): the only code of intake that
writes."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.applications.actions.corrections import receive_correction
from madoguchi.applications.actions.receiving import receive_application
from madoguchi.applications.models import Application, CorrectionReply, Evidence
from madoguchi.applications.received import ReceivedAttachment, ReceivedPackage
from madoguchi.applications.sealing import kept_package
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.jpki import BasicFour, serial_hex
from madoguchi.procedures.models import Procedure

from .certs import Trust, fingerprint
from .constants import Outcome, Reason, Rejection
from .formats.madoguchi_pittari import VerifiedPackage, peek_receipt_number, read_package
from .models import QuarantinedPackage, RevocationList, RevokedSerial, TrustAnchor
from .trust import TrustError

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


class IntakePass:
    """What one intake pass (a spool drain, an import command) reads once for all its
    packages: the trust anchors and CRLs (certs.Trust) and the procedure versions, which
    never change once loaded."""

    def __init__(self) -> None:
        self.trust = Trust()
        self._procedures: dict[tuple[str, str], Procedure | None] = {}

    def procedure(self, procedure_id: str, version: str) -> Procedure | None:
        key = (procedure_id, version)
        if key not in self._procedures:
            self._procedures[key] = Procedure.objects.filter(
                procedure_id=procedure_id, version=version
            ).first()
        return self._procedures[key]


def _stored_as(sha256: str, receipt_number: str = "") -> tuple[str | None, bool]:
    """(the receipt number these exact bytes were stored under, as an application or a 補正
    answer; whether ``receipt_number`` is already taken by either), in one indexed query
    that loads no package. Written as SQL: it runs for every package, and the ORM spent
    more time building the four-way UNION than the database spent answering it."""
    application = Application._meta.db_table
    evidence = Evidence._meta.db_table
    reply = CorrectionReply._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.receipt_number, 1 FROM {evidence} e JOIN {application} a"  # noqa: S608
            f" ON a.id = e.application_id WHERE e.package_sha256 = %s"
            f" UNION ALL SELECT receipt_number, 1 FROM {reply} WHERE package_sha256 = %s"
            f" UNION ALL SELECT receipt_number, 0 FROM {application} WHERE receipt_number = %s"
            f" UNION ALL SELECT receipt_number, 0 FROM {reply} WHERE receipt_number = %s",
            [sha256, sha256, receipt_number, receipt_number],
        )
        rows = cursor.fetchall()
    same_bytes = next((number for number, is_package in rows if is_package), None)
    return same_bytes, bool(rows)


def import_package(
    data: bytes,
    file_name: str,
    run: IntakePass | None = None,
    *,
    fetched_at: dt.datetime | None = None,
    late_accepted: bool = False,
) -> ImportResult:
    """Verify, identify and store one package. The same bytes again are a duplicate, found
    by one query after the checks (a re-delivery is rare; a new package is the rule).
    ``fetched_at``: when the package was taken from the portal (the spooled file's time);
    ``late_accepted``: a person checked a 到達日時 older than the window allows."""
    run = run or IntakePass()
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        try:
            with time_limit(settings.INTAKE_TIME_LIMIT_SECONDS):
                package = read_package(
                    data,
                    now=timezone.now(),
                    trust=run.trust,
                    fetched_at=fetched_at,
                    late_accepted=late_accepted,
                )
        except _Expired:
            raise Rejection(
                Reason.PROCESSING_TIMEOUT, f"> {settings.INTAKE_TIME_LIMIT_SECONDS} s"
            ) from None
        known, taken = _stored_as(sha256, package.receipt_number)
        if known is not None:
            return ImportResult(file_name, known, Outcome.DUPLICATE)
        if taken:
            raise Rejection(Reason.RECEIPT_CONFLICT, package.receipt_number)
        procedure = run.procedure(package.procedure_id, package.procedure_version)
        if procedure is None:
            raise Rejection(
                Reason.PROCEDURE_UNKNOWN, f"{package.procedure_id}@{package.procedure_version}"
            )
        try:
            _receive(package, procedure, data=data, sha256=sha256, file_name=file_name)
        except IntegrityError:
            # Another worker stored the same receipt number between our check and insert.
            if _stored_as(sha256)[0] is not None:
                return ImportResult(file_name, package.receipt_number, Outcome.DUPLICATE)
            raise Rejection(Reason.RECEIPT_CONFLICT, package.receipt_number) from None
        except DataError as exc:
            # A value the database refuses (too long for its column, NUL on PostgreSQL):
            # this package can never be stored, so it is kept aside, not retried forever.
            raise Rejection(Reason.STORAGE_REFUSED, str(exc).splitlines()[0][:200]) from None
        return ImportResult(file_name, package.receipt_number, Outcome.ACCEPTED)
    except Rejection as rejection:
        # Bytes stored before are a duplicate even when they would not pass today.
        known, _taken = _stored_as(sha256)
        if known is not None:
            return ImportResult(file_name, known, Outcome.DUPLICATE)
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


@transaction.atomic(savepoint=False)
def quarantine(
    data: bytes, sha256: str, file_name: str, receipt_number: str, rejection: Rejection
) -> None:
    """Keep the package byte for byte with its reason; the same bytes are kept once."""
    if QuarantinedPackage.objects.filter(sha256=sha256, reason=rejection.reason).exists():
        return
    plain, sealed = kept_package(data, sealed=True)
    QuarantinedPackage.objects.create(
        file_name=file_name[:255],
        receipt_number=receipt_number,
        sha256=sha256,
        content=plain,
        content_sealed=sealed,
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


def reprocess(
    quarantined: QuarantinedPackage, *, actor: User, late_accepted: bool = False
) -> ImportResult:
    """Run a kept package through intake again, e.g. after its trust anchor was added. Its
    到達日時 is measured against when it first came (quarantined_at), not today; with
    ``late_accepted`` the administrator has checked a 到達日時 older than the window."""
    if not actor.may_handle_quarantine:
        raise PermissionDenied
    result = import_package(
        quarantined.package_bytes,
        quarantined.file_name,
        fetched_at=quarantined.quarantined_at,
        late_accepted=late_accepted,
    )
    if result.outcome != Outcome.QUARANTINED:
        resolution = result.outcome.value
    elif result.reason != quarantined.reason:
        resolution = f"quarantined:{result.reason}"
    else:
        resolution = ""
    if resolution:
        QuarantinedPackage.objects.filter(pk=quarantined.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolution=resolution
        )
    record(
        AuditAction.QUARANTINE_REPROCESSED,
        actor=actor,
        target_type="package",
        target_id=quarantined.sha256,
        extra={
            "outcome": result.outcome.value,
            "reason": result.reason,
            "was": quarantined.reason,
            "late_accepted": late_accepted,
        },
    )
    return result


def download(quarantined: QuarantinedPackage, *, actor: User) -> bytes:
    if not actor.may_handle_quarantine:
        raise PermissionDenied
    record(
        AuditAction.PACKAGE_DOWNLOADED,
        actor=actor,
        target_type="package",
        target_id=quarantined.sha256,
        extra={"file": quarantined.file_name},
    )
    return quarantined.package_bytes


@transaction.atomic
def add_trust_anchor(pem: bytes, *, actor: User | None = None) -> tuple[TrustAnchor, bool]:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise TrustError(_("PEM形式の証明書として読めません")) from exc
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise TrustError(_("認証局 (CA) の証明書ではありません"))
    anchor, created = TrustAnchor.objects.get_or_create(
        fingerprint_sha256=fingerprint(certificate),
        defaults={
            "subject": certificate.subject.rfc4514_string(),
            "pem": pem.decode("ascii"),
        },
    )
    if created:
        record(
            AuditAction.TRUST_ANCHOR_ADDED,
            actor=actor,
            target_type="trust_anchor",
            target_id=anchor.fingerprint_sha256,
            extra={"subject": anchor.subject},
        )
    return anchor, created


@transaction.atomic
def load_crl(
    data: bytes, *, now: dt.datetime | None = None, actor: User | None = None
) -> RevocationList:
    """Verify a CRL's signature against a trust anchor and its freshness, then store it."""
    now = now or timezone.now()
    try:
        is_pem = data.lstrip().startswith(b"-----")
        crl = x509.load_pem_x509_crl(data) if is_pem else x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise TrustError(_("CRLとして読めません")) from exc
    anchor = next(
        (
            candidate
            for candidate, ca in Trust().named(crl.issuer)
            if crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
        ),
        None,
    )
    if anchor is None:
        raise TrustError(_("CRLの署名を登録済みの認証局で検証できません"))
    next_update = crl.next_update_utc
    if next_update is None or next_update < now:
        raise TrustError(_("CRLの次回更新日時を過ぎています (古いCRLです)"))
    try:
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = None
    if number is not None:
        existing = RevocationList.objects.filter(anchor=anchor, crl_number=number).first()
        if existing is not None:
            return existing
        newest = anchor.crls.exclude(crl_number=None).order_by("-crl_number").first()
        if newest is not None and newest.crl_number is not None and newest.crl_number > number:
            raise TrustError(
                _("CRL番号 %(n)d より新しい CRL 番号 %(m)d を読込済みです")
                % {"n": number, "m": newest.crl_number}
            )
    stored = RevocationList.objects.create(
        anchor=anchor,
        crl_number=number,
        this_update=crl.last_update_utc,
        next_update=next_update,
        der=crl.public_bytes(Encoding.DER),
    )
    RevokedSerial.objects.bulk_create(
        RevokedSerial(
            crl=stored, serial=format(r.serial_number, "X"), revoked_at=r.revocation_date_utc
        )
        for r in crl
    )
    record(
        AuditAction.CRL_LOADED,
        actor=actor,
        target_type="crl",
        target_id=str(number),
        extra={"issuer": anchor.subject, "revoked": len(crl)},
    )
    return stored
