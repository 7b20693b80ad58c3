"""Checks of the signer's JPKI-style certificate: chain, usage, validity, revocation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from madoguchi.lib.jpki import serial_hex

from .constants import Reason, Rejection
from .models import RevocationList, RevokedSerial, TrustAnchor


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class CertificateCheck:
    anchor: TrustAnchor
    crl: RevocationList | None
    revocation_pending: bool


def check_certificate(certificate: x509.Certificate, signing_time: dt.datetime) -> CertificateCheck:
    """Raise a Rejection unless the certificate may have made a signature at ``signing_time``."""
    anchor = _issuing_anchor(certificate)
    if anchor is None:
        raise Rejection(Reason.CERTIFICATE_UNTRUSTED, certificate.issuer.rfc4514_string())
    if signing_time < certificate.not_valid_before_utc:
        raise Rejection(Reason.CERTIFICATE_NOT_YET_VALID)
    if signing_time > certificate.not_valid_after_utc:
        raise Rejection(Reason.CERTIFICATE_EXPIRED)
    _check_usage(certificate)
    crl = latest_crl(anchor)
    if crl is None or crl.next_update < signing_time:
        return CertificateCheck(anchor=anchor, crl=crl, revocation_pending=True)
    revoked = RevokedSerial.objects.filter(crl=crl, serial=serial_hex(certificate)).first()
    if revoked is not None and revoked.revoked_at <= signing_time:
        raise Rejection(Reason.CERTIFICATE_REVOKED, revoked.revoked_at.isoformat())
    return CertificateCheck(anchor=anchor, crl=crl, revocation_pending=False)


def latest_crl(anchor: TrustAnchor) -> RevocationList | None:
    return anchor.crls.order_by("-this_update", "-crl_number", "-id").first()


def _issuing_anchor(certificate: x509.Certificate) -> TrustAnchor | None:
    for anchor, ca in TrustAnchor.named(certificate.issuer):
        try:
            certificate.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return anchor
    return None


def _check_usage(certificate: x509.Certificate) -> None:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            raise Rejection(Reason.CERTIFICATE_USAGE, "CA certificate")
    except x509.ExtensionNotFound:
        pass
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise Rejection(Reason.CERTIFICATE_USAGE, "no keyUsage") from exc
    if not (usage.digital_signature or usage.content_commitment):
        raise Rejection(Reason.CERTIFICATE_USAGE, "keyUsage lacks digitalSignature/nonRepudiation")
