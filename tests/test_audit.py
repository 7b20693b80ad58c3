"""The audit chain: `madoguchi audit verify` passes on an intact log and fails on any edit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from madoguchi.audit.actions import anchor, record, verify_chain
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(counter_clerk):
    for n in range(5):
        record(
            AuditAction.APPLICATION_VIEWED,
            actor=counter_clerk,
            target_type="application",
            target_id=f"R{n}",
        )


def test_an_intact_chain_verifies(chain, capsys):
    call_command("audit", "verify")
    assert "正常" in capsys.readouterr().out


def test_an_edited_record_is_detected(chain):
    AuditEvent.objects.filter(seq=3).update(target_id="R9")
    assert verify_chain() == ["seq 3: 内容が改ざんされています"]
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_a_deleted_record_is_detected(chain):
    AuditEvent.objects.filter(seq=2).delete()
    assert any("欠落" in p for p in verify_chain())


def test_a_deleted_last_record_is_detected(chain):
    AuditEvent.objects.filter(seq=5).delete()
    assert verify_chain() == ["末尾の記録が削除されています"]


def test_reordered_records_are_detected(chain):
    first, second = AuditEvent.objects.get(seq=2), AuditEvent.objects.get(seq=3)
    AuditEvent.objects.filter(pk=first.pk).update(seq=-1)
    AuditEvent.objects.filter(pk=second.pk).update(seq=2)
    AuditEvent.objects.filter(pk=first.pk).update(seq=3)
    assert verify_chain()


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_seals_the_existing_log_with_the_key():
    """Events written before the HMAC chain (plain SHA-256) verify after the migration."""
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("audit", "0001_initial")])
        old_apps = executor.loader.project_state([("audit", "0001_initial")]).apps
        OldEvent = old_apps.get_model("audit", "AuditEvent")
        OldHead = old_apps.get_model("audit", "ChainHead")
        prev = "0" * 64
        for seq in (1, 2, 3):
            at = dt.datetime(2026, 11, 1, 9, seq, tzinfo=dt.UTC)
            payload = {
                "seq": seq,
                "at": at.isoformat(),
                "actor_id": None,
                "actor_name": "system",
                "action": int(AuditAction.MY_NUMBER_VIEWED),
                "target_type": "resident",
                "target_id": str(seq),
                "extra": {},
            }
            canonical = json.dumps(
                payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            )
            digest = hashlib.sha256((prev + canonical).encode()).hexdigest()
            OldEvent.objects.create(
                seq=seq,
                at=at,
                actor_name="system",
                action=int(AuditAction.MY_NUMBER_VIEWED),
                target_type="resident",
                target_id=str(seq),
                extra={},
                prev_hash=prev,
                hash=digest,
            )
            prev = digest
        OldHead.objects.create(pk=1, last_seq=3, last_hash=prev)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    anchor()  # the worker's first pass after the upgrade
    assert verify_chain() == []
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) != {""}
