"""確認待ち settled: applications held for want of a fresh CRL are checked again, the
certificate here (intake's half), the identification by the workflow's action."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from django.db import transaction

from madoguchi.applications.actions.identification import settle_revocation
from madoguchi.applications.models import Application
from madoguchi.applications.received import RevocationFinding
from madoguchi.vocabulary import Identification

from .certs import Trust, check_certificate
from .constants import Reason, Rejection
from .models import RevokedSerial


def finding_for(
    pem: str, serial: str, signing_time: dt.datetime, trust: Trust
) -> RevocationFinding | None:
    """What the CRLs now loaded say of this certificate at the signing time; None while
    there is still no fresh CRL."""
    certificate = x509.load_pem_x509_certificate(pem.encode())
    try:
        check = check_certificate(certificate, signing_time, trust)
    except Rejection as rejection:
        if rejection.reason != Reason.CERTIFICATE_REVOKED:
            raise
        revoked = (
            RevokedSerial.objects.filter(serial=serial)
            .select_related("crl")
            .latest("crl__this_update")
        )
        return RevocationFinding(
            revoked.revoked_at, revoked.crl.crl_number, revoked.crl.this_update
        )
    if check.revocation_pending:
        return None
    assert check.crl is not None
    return RevocationFinding(None, check.crl.crl_number, check.crl.this_update)


def recheck_pending_revocations() -> int:
    """Re-check every application held as 確認待ち against the CRLs now loaded."""
    pending = Application.objects.filter(
        identification=Identification.REVOCATION_PENDING
    ).values_list("pk", flat=True)
    settled = 0
    trust = Trust()
    for pk in list(pending):
        with transaction.atomic():
            application = Application.objects.select_related("evidence").get(pk=pk)
            evidence = application.evidence
            finding = finding_for(
                evidence.signer_certificate_pem,
                evidence.signer_serial,
                application.submitted_at,
                trust,
            )
            if finding is not None:
                settled += settle_revocation(pk, finding)
    return settled
