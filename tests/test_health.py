"""What a monitor reads: /healthz, /readyz, the heartbeats of the worker and the relay, and
`madoguchi status` exiting 1 when a part has stopped or fails."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import sign_in
from madoguchi.operations.heartbeat import record_worker_beat
from madoguchi.operations.models import Heartbeat
from madoguchi.operations.worker import Worker
from madoguchi.relay.passes import record_beat, relay_spool

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_spool(settings, tmp_path) -> None:
    settings.SPOOL_DIR = tmp_path / "spool"


def test_healthz_answers_and_readyz_waits_for_the_catalog(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "手続カタログが読み込まれていません" in answer.json()["problem"]
    call_command("procedures", "load")
    assert client.get("/readyz").status_code == 200


def status(capsys) -> tuple[bool, dict]:
    try:
        call_command("status", "--json")
        ok = True
    except CommandError:
        ok = False
    return ok, json.loads(capsys.readouterr().out)


def test_status_is_ok_while_worker_and_relay_beat_and_fails_when_the_worker_stops(
    catalog, capsys, settings
):
    ok, report = status(capsys)
    assert not ok
    assert {p["part"]: p["state"] for p in report["parts"]} == {
        "database": "正常",
        "worker": "記録なし",
        "relay": "記録なし",
    }
    spool = relay_spool()
    failed = Worker(spool).one_pass()
    assert failed == []
    record_worker_beat(spool, timezone.now(), failed)
    record_beat(spool, started_at=time.time(), error=None, fetched=0)
    ok, report = status(capsys)
    assert ok and report["ok"]
    worker = next(p for p in report["parts"] if p["part"] == "worker")
    assert worker["backlog"] == {"spool": 0, "deliveries": 0, "letter_runs": 0}

    # The worker died ten minutes ago: its last beat is older than the stale limit.
    Heartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(minutes=10))
    ok, report = status(capsys)
    assert not ok
    worker = next(p for p in report["parts"] if p["part"] == "worker")
    assert worker["state"] == "停止" and "記録がありません" in worker["detail"]


def test_a_failing_relay_is_reported_with_its_error(catalog, capsys):
    spool = relay_spool()
    record_worker_beat(spool, timezone.now(), [])
    record_beat(spool, started_at=time.time(), error="ポータルとの通信に失敗しました", fetched=0)
    ok, report = status(capsys)
    relay = next(p for p in report["parts"] if p["part"] == "relay")
    assert not ok and relay["state"] == "エラー"
    assert relay["detail"] == "ポータルとの通信に失敗しました"


def test_a_forged_relay_heartbeat_is_not_believed(catalog, capsys):
    spool = relay_spool()
    record_worker_beat(spool, timezone.now(), [])
    forged = json.dumps({"beat_at": time.time(), "last_error": ""}).encode()
    (spool.heartbeats / f"relay.{'0' * 64}.json").write_bytes(forged)
    ok, report = status(capsys)
    assert not ok
    assert next(p for p in report["parts"] if p["part"] == "relay")["state"] == "記録なし"


def test_the_command_names_what_waits_in_japanese(catalog, capsys):
    record_worker_beat(relay_spool(), timezone.now(), [])
    with pytest.raises(CommandError):  # no relay has beaten here; the worker's line is the point
        call_command("status")
    worker = next(line for line in capsys.readouterr().out.splitlines() if "ワーカー" in line)
    assert "滞留: 取込待ちの申請データ=0 基幹連携の送付待ち=0 通知書の作成待ち=0" in worker


def test_the_administrator_sees_the_same_on_screen(catalog, client, administrator, counter_clerk):
    record_worker_beat(relay_spool(), timezone.now(), ["hand-over: OSError: ディスクがいっぱい"])
    sign_in(client, counter_clerk)
    assert client.get("/status/").status_code == 403
    sign_in(client, administrator)
    page = client.get("/status/").content.decode()
    assert "止まっているか失敗している部分があります" in page
    assert "ディスクがいっぱい" in page
    assert "取込待ちの申請データ: 0" in page and "spool" not in page  # named, not keyed


def test_the_worker_gives_sqlite_the_statistics_to_walk_the_inbox_in_order(catalog):
    """Without statistics SQLite sorts a department's whole inbox for each page; with them
    (the worker's ANALYZE) it walks the inbox index and stops at the page's end."""
    from django.db import connection

    from madoguchi.accounts.models import Department
    from madoguchi.applications.models import Application
    from tests.factories import make_application

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its statistics")
    start = timezone.now() - dt.timedelta(days=30)
    for n in range(300):
        procedure = "jidou-teate-nintei" if n % 3 else "kaigo-nintei"
        make_application(procedure, received_at=start + dt.timedelta(hours=n))
    kosodate = Department.objects.get(code="kosodate")
    page = Application.objects.of_department(kosodate.pk).order_by("-received_at", "-id")[:51]
    sql, params = page.query.sql_with_params()

    def plan() -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " ".join(str(row[-1]) for row in cursor.fetchall())

    assert "TEMP B-TREE FOR ORDER BY" in plan()  # no statistics: the department sorted
    assert Worker(relay_spool()).one_pass() == []
    assert "application_inbox" in plan() and "TEMP B-TREE" not in plan()


def test_sqlite_finds_open_applications_by_deadline_through_the_partial_index(reviewer):
    """期限超過 and the お知らせ's 「明日が期限」 ask for the open applications by due date:
    SQLite uses the partial index only when the statement holds its condition's codes as
    written, so the open statuses go into the statement, not as parameters."""
    from django.db import connection

    from madoguchi.applications.models import Application
    from madoguchi.applications.notifications import _queries
    from madoguchi.operations.worker import refresh_planner_statistics
    from madoguchi.vocabulary import Status
    from tests.factories import make_application

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL proves the index's condition from parameters too")
    today = timezone.localdate()
    late = make_application("jidou-teate-nintei")
    Application.objects.filter(pk=late.pk).update(due_date=today - dt.timedelta(days=2))
    done = make_application("jidou-teate-nintei")
    Application.objects.filter(pk=done.pk).update(
        due_date=today - dt.timedelta(days=2), status=Status.COMPLETED
    )
    for _ in range(50):
        make_application("jidou-teate-nintei")
    overdue = Application.objects.overdue(today)
    assert list(overdue) == [late]
    refresh_planner_statistics()  # as the worker does
    # The 期限超過 list most overdue first; the count of those due tomorrow, unordered.
    due_tomorrow = _queries(reviewer)["due_tomorrow"].order_by()
    for query in (overdue.order_by("due_date", "id"), due_tomorrow):
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            assert "application_open_due" in " ".join(str(row[-1]) for row in cursor.fetchall())
