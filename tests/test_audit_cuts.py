"""Every cut of the audit log's tail is caught, also by someone who can write the database
and the anchor file: the anchor lines removed with the rows, the anchor file deleted, or
checkpoints that stopped coming."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from madoguchi.audit.actions import anchor, record, verify_chain
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent, ChainHead

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    """The office's clock, moved by hand: events and checkpoints are written at its time."""
    current = [NOW - dt.timedelta(hours=6)]
    monkeypatch.setattr("django.utils.timezone.now", lambda: current[0])

    def to(moment: dt.datetime) -> None:
        current[0] = moment

    return to


def events(n: int) -> None:
    for _ in range(n):
        record(AuditAction.RESIDENTS_SEARCHED, actor=None, target_type="resident", target_id="x")


def hourly_history(clock, settings) -> list[str]:
    """Five hours of work with the worker's hourly checkpoints; returns the anchor lines."""
    for hours_ago in (5, 4, 3, 2, 1, 0):
        clock(NOW - dt.timedelta(hours=hours_ago))
        events(3)
        anchor()
    return settings.AUDIT_ANCHOR_FILE.read_text().splitlines()


def cut_tail(keep: int) -> None:
    AuditEvent.objects.filter(seq__gt=keep).delete()
    tail = AuditEvent.objects.get(seq=keep)
    ChainHead.objects.filter(pk=1).update(last_seq=tail.seq, last_hash=tail.hash)


def test_the_intact_history_verifies(clock, settings):
    hourly_history(clock, settings)
    assert verify_chain() == []


def test_rows_cut_with_their_anchor_lines_are_caught_by_the_missing_checkpoints(clock, settings):
    lines = hourly_history(clock, settings)
    cut_tail(keep=6)  # everything after the 4 hours ago checkpoint
    settings.AUDIT_ANCHOR_FILE.write_text("\n".join(lines[:2]) + "\n")
    problems = verify_chain()
    assert any("最新のチェックポイントが" in p for p in problems), problems


def test_a_line_taken_out_of_the_middle_is_caught(clock, settings):
    lines = hourly_history(clock, settings)
    settings.AUDIT_ANCHOR_FILE.write_text("\n".join([*lines[:2], *lines[3:]]) + "\n")
    assert any("直前の行とつながっていません" in p for p in verify_chain())


def test_a_deleted_anchor_file_is_caught(clock, settings):
    hourly_history(clock, settings)
    settings.AUDIT_ANCHOR_FILE.unlink()
    assert any("アンカーファイル" in p and "ありません" in p for p in verify_chain())


def test_checkpoints_that_stopped_coming_are_caught(clock, settings):
    hourly_history(clock, settings)
    clock(NOW + dt.timedelta(hours=3))  # the worker has been down for three hours
    assert any("最新のチェックポイントが" in p for p in verify_chain())


def test_a_new_installation_is_not_blamed_before_its_first_checkpoint(clock, settings):
    clock(NOW)
    events(2)
    assert not settings.AUDIT_ANCHOR_FILE.exists()
    assert verify_chain() == []


def test_each_checkpoint_is_also_logged_for_a_collector(clock, settings, caplog):
    clock(NOW)
    events(1)
    with caplog.at_level("INFO", logger="madoguchi.audit.anchors"):
        written = anchor()
    [line] = [r.getMessage() for r in caplog.records if r.name == "madoguchi.audit.anchors"]
    assert json.loads(line.removeprefix("audit anchor ")) == written
    assert timezone.now() == NOW
