from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madoguchi.procedures.models import Procedure
from madoguchi.residents.models import Resident

from .constants import Identification, Status, Submitter
from .queries import ApplicationQuerySet


class Application(models.Model):
    """One application as received from the portal, pinned to its procedure version."""

    receipt_number = models.CharField(_("受付番号"), max_length=64, unique=True)
    procedure = models.ForeignKey(Procedure, verbose_name=_("手続"), on_delete=models.PROTECT)
    status = models.CharField(
        _("ステータス"), max_length=30, choices=Status.choices, default=Status.RECEIVED
    )
    submitted_at = models.DateTimeField(_("申請日時"))
    received_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("ステータス変更日時"))
    submitter = models.CharField(_("申請者区分"), max_length=10, choices=Submitter.choices)
    municipality_code = models.CharField(_("地方公共団体コード"), max_length=6)
    form = models.JSONField(_("申請内容"))
    form_errors = models.JSONField(_("入力内容の不備"), default=dict, blank=True)
    # [{"name", "media_type", "sha256", "size"}]: the bytes stay in the evidence package.
    attachments = models.JSONField(_("添付ファイル"), default=list, blank=True)
    applicant_name = models.CharField(_("申請者氏名"), max_length=100, blank=True)
    applicant_kana = models.CharField(_("申請者カナ"), max_length=100, blank=True)
    resident = models.ForeignKey(
        Resident, verbose_name=_("住民"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Whose certificate signed: the applicant, or for 代理申請 the proxy (resident is then
    # the person concerned, found from the form).
    signer = models.ForeignKey(
        Resident,
        verbose_name=_("署名者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_applications",
    )
    identification = models.CharField(_("本人特定"), max_length=30, choices=Identification.choices)
    identification_notes = models.JSONField(default=list, blank=True)
    # Set when the retention period ended and the personal data was deleted.
    purged_at = models.DateTimeField(_("保存期間経過による削除日時"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="application_status_known"
            ),
            models.CheckConstraint(
                condition=Q(identification__in=Identification.values),
                name="application_identification_known",
            ),
            models.CheckConstraint(
                condition=Q(identification=Identification.IDENTIFIED, resident__isnull=False)
                | ~Q(identification=Identification.IDENTIFIED)
                | Q(purged_at__isnull=False),
                name="identified_has_resident",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-received_at"]),
            models.Index(fields=["procedure", "status"]),
        ]
        verbose_name = _("申請")
        verbose_name_plural = _("申請")

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def has_form_errors(self) -> bool:
        return bool(self.form_errors)


class Evidence(models.Model):
    """The package exactly as received, and what its verification found."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT)
    file_name = models.CharField(max_length=255)
    package = models.BinaryField()
    package_sha256 = models.CharField(_("パッケージSHA-256"), max_length=64)
    signer_certificate_pem = models.TextField()
    signer_serial = models.CharField(_("証明書シリアル番号"), max_length=64)
    signer_basic_four = models.JSONField(_("証明書の基本4情報"), default=dict)
    trust_anchor_subject = models.CharField(_("発行者"), max_length=500)
    crl_number = models.BigIntegerField(_("CRL番号"), null=True)
    crl_this_update = models.DateTimeField(_("CRL発行日時"), null=True)
    verified_at = models.DateTimeField(_("検証日時"))

    class Meta:
        indexes = [models.Index(fields=["signer_serial"])]


class PortalStatusUpdate(models.Model):
    """A status and message for the applicant, on its way to the portal through the relay.

    Written with the status change (same transaction); the worker hands it to the spool,
    the relay posts it, and it counts as sent once the relay has acknowledged it.
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT)
    status = models.CharField(_("ポータルの処理状況"), max_length=20)
    message = models.TextField(_("申請者へのメッセージ"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"], condition=Q(sent_at__isnull=True), name="portal_update_unsent"
            )
        ]
