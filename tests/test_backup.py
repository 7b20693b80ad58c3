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


def test_a_restore_by_a_role_that_does_not_own_the_tables_names_the_role_to_use(db):
    from django.db import connection

    from madoguchi.operations.database_copy import role_problem

    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    import psycopg

    with connection.cursor() as cursor:
        assert role_problem(cursor) is None  # the owner (or a superuser) may
        cursor.execute("DROP ROLE IF EXISTS madoguchi_app")
        cursor.execute("CREATE ROLE madoguchi_app LOGIN")
    config = connection.settings_dict
    options = config.get("OPTIONS", {})
    try:
        with (
            psycopg.connect(
                dbname=config["NAME"],
                user="madoguchi_app",
                host=config["HOST"] or options.get("host", ""),
                port=config["PORT"] or options.get("port", 5432),
            ) as other,
            other.cursor() as cursor,
        ):
            problem = role_problem(cursor)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP ROLE madoguchi_app")
    assert problem is not None
    assert f"「{config['USER']}」で行ってください" in problem and "「madoguchi_app」" in problem


def test_a_backup_of_an_installation_with_no_audit_events_yet_restores_and_verifies(tmp_path):
    # A municipality just added to a joint service, moved before its first event.
    assert AuditEvent.objects.count() == 0
    backup = tmp_path / "empty.backup"
    call_command("backup", "create", str(backup))
    call_command("backup", "restore", str(backup))  # its restore line is at seq 0
    assert verify_chain() == []
