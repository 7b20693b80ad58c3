"""The audit chain: `madoguchi audit verify` passes on an intact log and fails on any edit."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from madoguchi.audit.actions import record, verify_chain
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
