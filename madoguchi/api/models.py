from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """One token model for the whole API, scoped to one member of staff (the staff API,
    with their department and role) or to one core system (the 方式3 pull API, that core
    system's records only). Only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    core_system = models.CharField(_("基幹システム"), max_length=40, blank=True)
    name = models.CharField(_("用途"), max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False) & models.Q(core_system=""))
                | (models.Q(user__isnull=True) & ~models.Q(core_system="")),
                name="token_for_one_scope",
            )
        ]

    @classmethod
    def issue(cls, user: models.Model, name: str) -> tuple[ApiToken, str]:
        """A new staff token; the clear value is returned once and never stored."""
        token = "mdg_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, token_sha256=hash_token(token)), token

    @classmethod
    def issue_for_core_system(cls, core_system: str, name: str) -> tuple[ApiToken, str]:
        """A new pull-API token for one core system; the clear value is returned once."""
        token = "mdgc_" + secrets.token_urlsafe(32)
        row = cls.objects.create(core_system=core_system, name=name, token_sha256=hash_token(token))
        return row, token

    @classmethod
    def from_request(cls, request: HttpRequest) -> ApiToken | None:
        """The live token of an ``Authorization: Bearer`` header, noted as used; else None."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = (
            cls.objects.select_related("user")
            .filter(token_sha256=hash_token(header[7:].strip()), revoked_at__isnull=True)
            .first()
        )
        if token is not None:
            cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token
