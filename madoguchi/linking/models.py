from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.applications.models import Application
from madoguchi.procedures.models import Procedure
from madoguchi.residents.crypto import SealedField

from .constants import BatchFormat, DeliveryState, HandoffMethod


class BatchFile(models.Model):
    """One 一括取込 file handed to a core system, as its manifest describes it."""

    core_system = models.CharField(_("基幹システム"), max_length=40)
    procedure = models.ForeignKey(Procedure, verbose_name=_("手続"), on_delete=models.PROTECT)
    file_name = models.CharField(_("ファイル名"), max_length=255)
    file_format = models.CharField(_("形式"), max_length=20, choices=BatchFormat.choices)
    records = models.PositiveIntegerField(_("件数"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    # The manifest as written beside the file, and when the file took its name (after the
    # hand-over committed): a batch committed and never published is published on the next
    # pass (batch.publish_unpublished).
    manifest = models.JSONField(default=dict)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["core_system", "-created_at"])]

    def __str__(self) -> str:
        return self.file_name


class Delivery(models.Model):
    """The hand-over of one application to one core system (待ち → 送付済 → 取込済 / 失敗).

    Created when the application becomes 基幹連携待ち. A failed send is retried
    automatically while ``next_attempt_at`` is set; a failure the core system itself reports
    (its data checks refused the record) waits for a clerk's resend.
    """

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="deliveries"
    )
    core_system = models.CharField(_("基幹システム"), max_length=40)
    method = models.CharField(_("連携方式"), max_length=20, choices=HandoffMethod.choices)
    state = models.CharField(
        _("連携状況"), max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("送付回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次回自動再送"), null=True, blank=True)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    # 保留: left out of a hand-over for a value it could not carry (a character, a length, a
    # control character); still 待ち, with the reason in last_error, for a clerk.
    held_back = models.BooleanField(_("保留"), default=False)
    # The core system's own key for the record (e.g. its 受付番号 or 世帯番号), from its
    # acknowledgement.
    external_key = models.CharField(_("基幹システム側の番号"), max_length=100, blank=True)
    batch = models.ForeignKey(BatchFile, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("送付日時"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("取込日時"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失敗日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "core_system"], name="delivery_per_core_system"
            ),
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="delivery_state_known"
            ),
            models.CheckConstraint(
                condition=Q(method__in=HandoffMethod.values), name="delivery_method_known"
            ),
            models.CheckConstraint(
                condition=~Q(state=DeliveryState.ACKNOWLEDGED) | Q(acknowledged_at__isnull=False),
                name="acknowledged_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=DeliveryState.FAILED) | ~Q(last_error=""),
                name="failed_has_error",
            ),
            models.CheckConstraint(
                condition=Q(held_back=False) | (Q(state=DeliveryState.PENDING) & ~Q(last_error="")),
                name="held_back_is_pending_with_reason",
            ),
        ]
        indexes = [
            # The open deliveries, which the worker and the pull API scan.
            models.Index(
                fields=["core_system", "state", "id"],
                condition=Q(state__in=[DeliveryState.PENDING, DeliveryState.SENT]),
                name="delivery_open",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False),
                name="delivery_retry_due",
            ),
            # Partial, so that it is never the planner's way to "every pending row".
            models.Index(
                fields=["failed_at"],
                condition=Q(state=DeliveryState.FAILED),
                name="delivery_failures",
            ),
        ]
        verbose_name = _("基幹連携")
        verbose_name_plural = _("基幹連携")

    def __str__(self) -> str:
        return f"{self.application_id}→{self.core_system}"

    @property
    def is_held_back(self) -> bool:
        """Left out of a hand-over (a value it could not carry): still 待ち, with the
        reason; a clerk may key it in by hand instead."""
        return self.held_back


class DigestRun(models.Model):
    """The day a failure digest went out: one per day, whichever worker gets there first."""

    day = models.DateField(unique=True)
    failures = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)


class GaijiEntry(models.Model):
    """A row of a core system's 外字 table entered on screen: how to write a character its
    encoding cannot hold (another character, or a code of its user-defined area)."""

    core_system = models.CharField(_("基幹システム"), max_length=40)
    character = models.CharField(_("文字"), max_length=1)
    # As typed (``0xF040`` or a character); what is written is gaiji.parse_entry's.
    replacement = models.CharField(_("置換"), max_length=10)
    note = models.CharField(_("備考"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["core_system", "character"]
        constraints = [
            models.UniqueConstraint(fields=["core_system", "character"], name="gaiji_once")
        ]


class OAuthClient(models.Model):
    """A core system (a 業務 of the 標準準拠システム) that takes tokens by OAuth2 client
    credentials (共通機能標準仕様書 §2.2.5): client_secret_jwt or client_secret_basic. Its
    secret is kept encrypted under the 個人番号 keys (client_secret_jwt needs it to check the
    assertion's HMAC), shown once when registered."""

    client_id = models.CharField(max_length=64, unique=True)
    secret = SealedField()
    core_system = models.CharField(_("基幹システム"), max_length=40)
    business_id = models.CharField(_("業務ID"), max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.client_id


class OAuthToken(models.Model):
    """An access token issued here (no refresh token): kept by its SHA-256, never in clear."""

    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="tokens")
    token_sha256 = models.CharField(max_length=64, unique=True)
    scope = models.TextField()
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    # As Authlib's introspection and revocation ask a token.
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def check_client(self, client: Any) -> bool:
        """Issued to this client (linking.oauth.Client, wrapping an OAuthClient)?"""
        return bool(self.client_id == client.row.pk)


class OAuthAssertion(models.Model):
    """A client_secret_jwt assertion's jti, kept until it expires: each is used once."""

    jti = models.CharField(max_length=300, unique=True)
    expires_at = models.DateTimeField(db_index=True)
