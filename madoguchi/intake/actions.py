"""Clerk actions on quarantined packages: re-processing and audited download."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

from .constants import Outcome
from .models import QuarantinedPackage
from .pipeline import ImportResult, import_package


def reprocess(quarantined: QuarantinedPackage, *, actor: User) -> ImportResult:
    """Run a kept package through intake again, e.g. after its trust anchor was added."""
    if not actor.may_handle_quarantine:
        raise PermissionDenied
    result = import_package(bytes(quarantined.content), quarantined.file_name)
    if result.outcome != Outcome.QUARANTINED:
        resolution = result.outcome.value
    elif result.reason != quarantined.reason:
        resolution = f"quarantined:{result.reason}"
    else:
        resolution = ""
    if resolution:
        QuarantinedPackage.objects.filter(pk=quarantined.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolution=resolution
        )
    record(
        AuditAction.QUARANTINE_REPROCESSED,
        actor=actor,
        target_type="package",
        target_id=quarantined.sha256,
        extra={"outcome": result.outcome.value, "reason": result.reason, "was": quarantined.reason},
    )
    return result


def download(quarantined: QuarantinedPackage, *, actor: User) -> bytes:
    if not actor.may_handle_quarantine:
        raise PermissionDenied
    record(
        AuditAction.PACKAGE_DOWNLOADED,
        actor=actor,
        target_type="package",
        target_id=quarantined.sha256,
        extra={"file": quarantined.file_name},
    )
    return bytes(quarantined.content)
