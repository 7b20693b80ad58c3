"""Retention (保存期間): an application past its period purged, its audit trail kept."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

from ..models import (
    Application,
    CorrectionReply,
    Evidence,
    PaperDocument,
    PortalStatusUpdate,
)


@transaction.atomic
def purge(application_id: int, now: dt.datetime | None, *, retention_years: int) -> None:
    """Retention: the application keeps only what proves it existed (受付番号, procedure,
    dates, status, the package's SHA-256) and loses its personal data."""
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application_id)
    if application.purged_at is not None:
        return
    application.form = {}
    application.form_secrets = None
    application.form_errors = {}
    application.attachments = []
    application.applicant_name = ""
    application.applicant_kana = ""
    application.applicant_birth_date = None
    application.set_search_keys()
    application.resident = None
    application.signer = None
    application.identification_notes = []
    application.purged_at = now
    application.save()
    sha256 = ""
    evidence = Evidence.objects.filter(application=application).first()
    if evidence is not None:
        sha256 = evidence.package_sha256
        evidence.package = b""
        evidence.package_sealed = None
        evidence.signer_certificate_pem = ""
        evidence.signer_basic_four = {}
        evidence.file_name = ""
        evidence.save()
    PortalStatusUpdate.objects.filter(application=application).update(message="")
    PaperDocument.objects.filter(application=application).update(
        content=b"", content_sealed=None, name=""
    )
    CorrectionReply.objects.filter(application=application).update(
        package=b"",
        package_sealed=None,
        form={},
        form_secrets=None,
        previous_form={},
        previous_form_secrets=None,
        file_name="",
    )
    record(
        AuditAction.RETENTION_PURGED,
        actor=None,
        target=application,
        extra={"package_sha256": sha256, "retention_years": retention_years},
    )
