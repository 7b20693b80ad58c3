"""Issuing staff API tokens: audited like a core system's, since a reviewer's token can
read 個人番号."""

from __future__ import annotations

from django.db import transaction

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

from .models import ApiToken


@transaction.atomic
def issue_api_token(user: User, name: str, *, actor: User | None) -> str:
    """A new token for ``user``; its clear value is returned once and never stored."""
    token, value = ApiToken.issue(user, name)
    record(
        AuditAction.API_TOKEN_ISSUED,
        actor=actor,
        target_type="user",
        target_id=user.username[:64],
        extra={"name": token.name, "token_id": token.pk, "role": user.role},
    )
    return value
