"""The 監査ログ screen: filters, readable Japanese, paging by position, an audited CSV."""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import sign_in
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.audit.presentation import DETAIL_LABELS, details
from madoguchi.operations.audit_search import PAGE_SIZE

pytestmark = pytest.mark.django_db


def test_filters_labels_and_paging(client, administrator, reviewer):
    reviewer.display_name = "審査 花子"
    reviewer.save()
    for n in range(PAGE_SIZE + 5):
        record(
            AuditAction.APPLICATION_STATUS_CHANGED,
            actor=reviewer,
            target_type="application",
            target_id=f"2026112600{n:06d}",
            extra={"from": "received", "to": "in_review", "reason": ""},
        )
    record(AuditAction.CRL_LOADED, actor=None, target_type="crl", target_id="7")
    sign_in(client, administrator)

    page = client.get("/audit/", {"action": int(AuditAction.APPLICATION_STATUS_CHANGED)})
    text = page.content.decode()
    assert text.count('data-action="300"') == PAGE_SIZE and 'data-action="501"' not in text
    assert "審査 花子" in text and "申請 2026112600" in text
    assert "変更前: 受付 / 変更後: 審査中" in text  # the statuses as a person reads them
    later = page.context["next_before"]
    rest = client.get(
        "/audit/", {"action": int(AuditAction.APPLICATION_STATUS_CHANGED), "before": later}
    )
    assert rest.content.decode().count('data-action="300"') == 5

    by_name = client.get("/audit/", {"actor": "審査 花子"}).content.decode()
    assert 'data-action="501"' not in by_name and 'data-action="300"' in by_name
    none_then = client.get("/audit/", {"date_to": "2000-01-01"}).content.decode()
    assert "該当する記録はありません" in none_then


@pytest.mark.parametrize(
    ("action", "extra", "shown"),
    [
        (
            AuditAction.APPLICATION_RECEIVED,
            {"identification": "identified", "procedure": "jidou-teate-nintei"},
            "手続: jidou-teate-nintei / 本人特定: 特定済",
        ),
        (
            AuditAction.RESIDENTS_LOADED,
            {"rows": 22, "delta": False, "forced": True},
            "行数: 22 / 差分: いいえ / 強制: はい",
        ),
        (
            AuditAction.IDENTIFICATION_CHANGED,
            {"from": "revocation_pending", "to": "certificate_revoked", "reason": "crl"},
            "変更前: 確認待ち / 変更後: 証明書失効 / 理由: crl",
        ),
        # "from" and "to" of a 課 stay as written, whatever they look like.
        (AuditAction.DEPARTMENT_RENAMED, {"from": "received", "to": "受付課"}, "変更前: received"),
    ],
)
def test_codes_are_shown_as_their_labels_where_they_are_codes(action, extra, shown):
    event = AuditEvent(action=action, extra=extra)
    assert details(event).startswith(shown)
    assert details(event, whole=True).startswith(shown)  # the CSV reads the same


def test_the_screen_reads_the_codes_of_intake_and_hand_over_too(client, catalog, administrator):
    """Quarantine reasons and a resent record's earlier state belong to apps above the log;
    the screen, above them all, reads them as their labels."""
    record(
        AuditAction.APPLICATION_QUARANTINED,
        actor=None,
        target_type="package",
        target_id="0" * 64,
        extra={"file": "a.zip", "reason": "not_a_zip", "receipt_number": ""},
    )
    record(
        AuditAction.HANDOFF_RESENT,
        actor=administrator,
        target_type="application",
        target_id="2026112600000001",
        extra={"core_system": "jidou_teate", "from": "failed"},
    )
    record(
        AuditAction.APPLICATION_RECEIVED,
        actor=None,
        target_type="application",
        target_id="2026112600000002",
        extra={"identification": "identified", "procedure": "jidou-teate-nintei"},
    )
    sign_in(client, administrator)
    text = client.get("/audit/").content.decode()
    assert "理由: ZIP形式のファイルではありません" in text
    assert "変更前: 失敗" in text
    assert "手続: 児童手当 認定請求 (jidou-teate-nintei)" in text  # its name, then its id


def test_the_csv_is_spreadsheet_safe_and_its_download_is_audited(client, administrator):
    administrator.display_name = "=1+1"  # a cell a spreadsheet would run as a formula
    administrator.save()
    record(
        AuditAction.APPLICATION_STATUS_CHANGED,
        actor=administrator,
        target_type="application",
        target_id="2026112600000001",
        extra={"reason": "住所を確認"},
    )
    sign_in(client, administrator)
    response = client.get("/audit/", {"format": "csv", "target": "2026112600000001"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:2] == ["連番", "日時"] and len(rows) == 2
    assert rows[1][2] != "=1+1" and rows[1][2].endswith("=1+1")
    assert rows[1][6] == "理由: 住所を確認"
    exported = AuditEvent.objects.filter(action=AuditAction.AUDIT_LOG_EXPORTED).get()
    assert exported.actor == administrator
    assert exported.extra == {"filters": {"target": "2026112600000001"}}


def test_the_log_is_for_those_who_may_read_it(client, reviewer):
    sign_in(client, reviewer)
    assert client.get("/audit/", {"format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIT_LOG_EXPORTED).exists()


def written_detail_keys() -> set[str]:
    """The keys every audited action writes into an event's details (the dict literals
    given to record() and record_read())."""

    def dicts(node: ast.AST) -> Iterator[ast.Dict]:
        if isinstance(node, ast.Dict):
            yield node
        elif isinstance(node, ast.BinOp):
            yield from dicts(node.left)
            yield from dicts(node.right)
        elif isinstance(node, ast.IfExp):
            yield from dicts(node.body)
            yield from dicts(node.orelse)

    keys = set()
    for path in (Path(__file__).resolve().parent.parent / "madoguchi").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            if not isinstance(node, ast.Call) or getattr(
                name, "id", getattr(name, "attr", None)
            ) not in ("record", "record_read"):
                continue
            given = [k.value for k in node.keywords if k.arg == "extra"] + node.args[3:4]
            for value in given:
                for found in dicts(value):
                    keys |= {k.value for k in found.keys if isinstance(k, ast.Constant)}
    return keys


def test_every_detail_an_action_writes_has_a_japanese_label():
    """The audit screen's 詳細 names each item in Japanese (English keys once showed)."""
    keys = written_detail_keys()
    assert len(keys) > 50
    assert sorted(keys - set(DETAIL_LABELS)) == []
