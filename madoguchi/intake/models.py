from __future__ import annotations

from cryptography import x509
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from madoguchi.applications.sealing import package_bytes
from madoguchi.residents.crypto import SealedField

from .constants import Outcome, Reason


class TrustAnchor(models.Model):
    """A JPKI CA certificate that signer certificates must chain to."""

    subject = models.CharField(_("主体者"), max_length=500)
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    pem = models.TextField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("トラストアンカー")
        verbose_name_plural = _("トラストアンカー")

    def __str__(self) -> str:
        return self.subject

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.pem.encode("ascii"))


class RevocationList(models.Model):
    """A CRL whose signature was checked against its trust anchor when it was loaded."""

    anchor = models.ForeignKey(TrustAnchor, on_delete=models.CASCADE, related_name="crls")
    crl_number = models.BigIntegerField(null=True)
    this_update = models.DateTimeField()
    next_update = models.DateTimeField()
    der = models.BinaryField()
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["anchor", "crl_number"], name="crl_number_per_anchor"),
        ]


class RevokedSerial(models.Model):
    crl = models.ForeignKey(RevocationList, on_delete=models.CASCADE, related_name="revoked")
    serial = models.CharField(max_length=64)
    revoked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["serial"])]


class QuarantinedPackage(models.Model):
    """A package that failed a check, kept byte for byte for a clerk and for re-processing:
    encrypted (content_sealed), since what it carries is not known to be free of 個人番号;
    packages quarantined before that kept in content."""

    file_name = models.CharField(_("ファイル名"), max_length=255)
    receipt_number = models.CharField(_("受付番号"), max_length=64, blank=True)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    content_sealed = SealedField()
    reason = models.CharField(_("理由"), max_length=40, choices=Reason.choices)
    detail = models.TextField(_("詳細"), blank=True)
    quarantined_at = models.DateTimeField(_("隔離日時"), auto_now_add=True)
    # Set when re-processing took the package in (or found it again under another reason).
    resolved_at = models.DateTimeField(_("解決日時"), null=True, blank=True)
    resolution = models.CharField(_("解決内容"), max_length=40, blank=True)

    class Meta:
        ordering = ["-quarantined_at"]
        verbose_name = _("隔離された申請データ")
        verbose_name_plural = _("隔離された申請データ")

    @property
    def package_bytes(self) -> bytes:
        return package_bytes(self.content, self.content_sealed)

    @property
    def resolution_label(self) -> str:
        """解決内容 as a person reads it: 受付 or 重複, or the other reason it is kept for."""
        outcome, _colon, reason = self.resolution.partition(":")
        if reason:
            label = Reason(reason).label if reason in Reason.values else reason
            return gettext("別の理由で隔離: %(reason)s") % {"reason": label}
        return str(Outcome(outcome).label) if outcome in Outcome.values else self.resolution
