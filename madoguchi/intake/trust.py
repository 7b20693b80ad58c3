"""Trust anchors and CRLs: what the administrator loads, checked before it is believed."""

from __future__ import annotations

import datetime as dt
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

from .certs import fingerprint
from .models import RevocationList, RevokedSerial, TrustAnchor

MAX_CRL_BYTES = 50 * 1024 * 1024


class TrustError(Exception):
    pass


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


def fetch(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (scheme checked)
            data: bytes = response.read(MAX_CRL_BYTES + 1)
    else:
        with open(source, "rb") as f:
            data = f.read(MAX_CRL_BYTES + 1)
    if len(data) > MAX_CRL_BYTES:
        raise TrustError(_("CRLが大きすぎます"))
    return data


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
            for candidate, ca in TrustAnchor.named(crl.issuer)
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
