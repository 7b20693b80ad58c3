"""Issuing API tokens, for staff or for a core system: each an audited action (a reviewer's
token can read 個人番号, a core system's reads its records)."""

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
        target=user,
        extra={"name": token.name, "token_id": token.pk, "role": user.role},
    )
    return value


@transaction.atomic
def issue_core_system_token(core_system: str, name: str, *, actor: User | None) -> str:
    """A new pull-API (方式3) token for one core system; its clear value is returned once."""
    token, value = ApiToken.issue_for_core_system(core_system, name)
    record(
        AuditAction.CORE_SYSTEM_TOKEN_ISSUED,
        actor=actor,
        target_type="core_system",
        target_id=core_system,
        extra={"name": token.name, "token_id": token.pk},
    )
    return value
