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


class Trust:
    """The trust anchors, each parsed once, and each one's latest CRL, as they were when an
    intake pass began: what every package of the pass is checked against.

    A pass is short (one spool drain, one import command), so a CRL loaded by another
    process during it takes effect with the next pass, as if loaded a moment later."""

    def __init__(self) -> None:
        self._anchors: list[tuple[TrustAnchor, x509.Certificate]] | None = None
        self._latest: dict[int, RevocationList | None] = {}

    def named(self, issuer: x509.Name) -> list[tuple[TrustAnchor, x509.Certificate]]:
        if self._anchors is None:
            self._anchors = [(anchor, anchor.certificate) for anchor in TrustAnchor.objects.all()]
        return [(anchor, ca) for anchor, ca in self._anchors if ca.subject == issuer]

    def latest_crl(self, anchor: TrustAnchor) -> RevocationList | None:
        if anchor.pk not in self._latest:
            self._latest[anchor.pk] = latest_crl(anchor)
        return self._latest[anchor.pk]


@dataclass(frozen=True)
class CertificateCheck:
    anchor: TrustAnchor
    crl: RevocationList | None
    revocation_pending: bool


def check_certificate(
    certificate: x509.Certificate, signing_time: dt.datetime, trust: Trust | None = None
) -> CertificateCheck:
    """Raise a Rejection unless the certificate may have made a signature at ``signing_time``
    (against ``trust``, else the anchors and CRLs as they are now)."""
    trust = trust or Trust()
    anchor = _issuing_anchor(certificate, trust)
    if anchor is None:
        raise Rejection(Reason.CERTIFICATE_UNTRUSTED, certificate.issuer.rfc4514_string())
    if signing_time < certificate.not_valid_before_utc:
        raise Rejection(Reason.CERTIFICATE_NOT_YET_VALID)
    if signing_time > certificate.not_valid_after_utc:
        raise Rejection(Reason.CERTIFICATE_EXPIRED)
    _check_usage(certificate)
    crl = trust.latest_crl(anchor)
    if crl is None or crl.next_update < signing_time:
        return CertificateCheck(anchor=anchor, crl=crl, revocation_pending=True)
    revoked_at = _revoked_at(crl, serial_hex(certificate))
    if revoked_at is not None and revoked_at <= signing_time:
        raise Rejection(Reason.CERTIFICATE_REVOKED, revoked_at.isoformat())
    return CertificateCheck(anchor=anchor, crl=crl, revocation_pending=False)


def _revoked_at(crl: RevocationList, serial: str) -> dt.datetime | None:
    """When ``crl`` says the serial was revoked, if it does. Asked for every package: one
    indexed lookup, its SQL written once (the ORM took longer to build it than to run it)."""
    found = RevokedSerial.objects.raw(
        f"SELECT id, revoked_at FROM {RevokedSerial._meta.db_table}"  # noqa: S608 (model's own table)
        " WHERE crl_id = %s AND serial = %s",
        [crl.pk, serial],
    )
    # A raw query still converts the database's value as the ORM does (SQLite keeps text).
    revoked = next(iter(found), None)
    return revoked.revoked_at if revoked is not None else None


def latest_crl(anchor: TrustAnchor) -> RevocationList | None:
    return anchor.crls.order_by("-this_update", "-crl_number", "-id").first()


def _issuing_anchor(certificate: x509.Certificate, trust: Trust) -> TrustAnchor | None:
    for anchor, ca in trust.named(certificate.issuer):
        try:
            certificate.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return anchor
    return None


# An extendedKeyUsage, when a certificate has one, must name a purpose that signs
# documents: a certificate only for TLS (serverAuth, clientAuth) does not sign an application.
SIGNING_PURPOSES = {
    x509.ObjectIdentifier("2.5.29.37.0"),  # anyExtendedKeyUsage
    x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION,  # S/MIME signing
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36"),  # id-kp-documentSigning (RFC 9336)
    x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # Microsoft document signing
    x509.ObjectIdentifier("1.2.840.113583.1.1.5"),  # Adobe authentic documents (PDF signing)
}


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
    try:
        purposes = set(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return  # the 署名用電子証明書's profile: keyUsage alone says what the key is for
    if not purposes & SIGNING_PURPOSES:
        named = ", ".join(sorted(p.dotted_string for p in purposes))
        raise Rejection(
            Reason.CERTIFICATE_USAGE, f"extendedKeyUsage without a signing purpose: {named}"
        )
