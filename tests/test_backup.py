"""Backup and restore, on whichever database the suite runs (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from madoguchi.applications.models import Application, Evidence
from madoguchi.audit.actions import verify_chain
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_restore_brings_back_what_the_backup_held(trusted, tmp_path):
    for path in trusted.packages[:3]:
        import_package(path.read_bytes(), path.name)
    kept = set(Application.objects.values_list("receipt_number", flat=True))
    backup = tmp_path / "madoguchi.backup"
    call_command("backup", "create", str(backup))

    # After the backup: one more application arrives, and one is lost by mistake.
    import_package(trusted.packages[3].read_bytes(), trusted.packages[3].name)
    lost = Application.objects.get(receipt_number=sorted(kept)[0])
    Evidence.objects.filter(application=lost).delete()
    AuditEvent.objects.filter(target_id=lost.receipt_number).delete()
    lost.delete()

    call_command("backup", "restore", str(backup))
    assert set(Application.objects.values_list("receipt_number", flat=True)) == kept
    assert verify_chain() == []
    assert Evidence.objects.count() == len(kept)
