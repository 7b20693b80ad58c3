"""Checks of the signer's JPKI-style certificate: chain, usage, validity, revocation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from .constants import Reason, Rejection
from .models import RevocationList, RevokedSerial, TrustAnchor

# subjectAltName otherName OIDs of the 署名用電子証明書 (基本4情報).
OID_NAME = x509.ObjectIdentifier("1.2.392.200149.8.5.5.1")
OID_BIRTH_DATE = x509.ObjectIdentifier("1.2.392.200149.8.5.5.3")
OID_SEX = x509.ObjectIdentifier("1.2.392.200149.8.5.5.4")
OID_ADDRESS = x509.ObjectIdentifier("1.2.392.200149.8.5.5.5")

_STRING_TAGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x1E: "utf-16-be"}


def serial_hex(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "X")


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _der_string(value: bytes) -> str:
    """Decode one DER string (UTF8String, PrintableString, IA5String or BMPString)."""
    if len(value) < 2 or value[0] not in _STRING_TAGS:
        raise ValueError("not a DER string")
    length = value[1]
    offset = 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 3:
            raise ValueError("bad DER length")
        length = int.from_bytes(value[2 : 2 + count], "big")
        offset = 2 + count
    body = value[offset : offset + length]
    if len(body) != length:
        raise ValueError("truncated DER string")
    return body.decode(_STRING_TAGS[value[0]])


@dataclass(frozen=True)
class BasicFour:
    """基本4情報 as the certificate carries them."""

    name: str
    birth_date: str
    sex: str
    address: str

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate) -> BasicFour | None:
        try:
            san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return None
        values: dict[x509.ObjectIdentifier, str] = {}
        for other in san.value.get_values_for_type(x509.OtherName):
            try:
                values[other.type_id] = _der_string(other.value)
            except (ValueError, UnicodeDecodeError):
                continue
        if OID_NAME not in values:
            return None
        return cls(
            name=values.get(OID_NAME, ""),
            birth_date=values.get(OID_BIRTH_DATE, ""),
            sex=values.get(OID_SEX, ""),
            address=values.get(OID_ADDRESS, ""),
        )


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
