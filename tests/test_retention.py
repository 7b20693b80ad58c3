"""Retention: after the period, a closed application's personal data goes; its proof stays."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application
from madoguchi.audit.actions import verify_chain
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.vocabulary import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_and_open(trusted, reviewer) -> tuple[Application, Application]:
    paths = [g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei"][:2]
    for path in paths:
        import_package(path.read_bytes(), path.name)
    old, current = Application.objects.order_by("receipt_number")[:2]
    change_status(old.pk, Status.REJECTED, actor=reviewer, reason="受給資格なし")
    six_years_ago = timezone.now() - dt.timedelta(days=365 * 6)
    Application.objects.filter(pk=old.pk).update(status_changed_at=six_years_ago)
    return old, current


def test_a_dry_run_lists_and_changes_nothing(old_and_open, capsys):
    old, _current = old_and_open
    call_command("retention", "run", "--json")
    assert json.loads(capsys.readouterr().out) == {
        "applied": False,
        "applications": [old.receipt_number],
        "meetings": [],
        "meeting_audio": [],
    }
    old.refresh_from_db()
    assert old.purged_at is None and old.form


def test_apply_deletes_personal_data_and_keeps_the_proof(old_and_open, capsys, client, reviewer):
    old, current = old_and_open
    sha256 = old.evidence.package_sha256
    call_command("retention", "run", "--apply")
    old.refresh_from_db()
    assert old.purged_at is not None
    assert (old.form, old.attachments, old.applicant_name, old.resident) == ({}, [], "", None)
    assert bytes(old.evidence.package) == b"" and old.evidence.package_sealed is None
    assert old.evidence.package_sha256 == sha256
    assert old.status == Status.REJECTED and old.receipt_number
    event = AuditEvent.objects.get(action=AuditAction.RETENTION_PURGED)
    assert event.extra["package_sha256"] == sha256
    assert verify_chain() == []
    current.refresh_from_db()
    assert current.purged_at is None and current.form
    sign_in(client, reviewer)
    page = client.get(f"/applications/{old.receipt_number}/").content.decode()
    assert "保存期間を過ぎたため" in page
