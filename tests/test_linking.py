"""Hand-over to core systems: every 方式 end to end against the demo core systems, including
the failing one, a resend and a partial failure in a result file (the characters CP932
cannot hold: test_linking_characters.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import ClassVar

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from conftest import sign_in
from madoguchi.accounts.models import ApiToken
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.linking.actions import acknowledge, mark_transcribed, resend
from madoguchi.linking.batch import export_batch
from madoguchi.linking.constants import DeliveryState, HandoffMethod
from madoguchi.linking.deliveries import mark_sent
from madoguchi.linking.models import BatchFile, Delivery
from madoguchi.linking.plugins import CoreSystem, all_core_systems, core_system
from madoguchi.linking.plugins.registry import PLUGINS, ConfigurationError
from madoguchi.linking.tasks import (
    hand_over,
    import_result_files,
    send_failure_digest,
)
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import Status
from tests.builders import build, make_ready, spec

pytestmark = pytest.mark.django_db
JST = dt.timezone(dt.timedelta(hours=9))
RESULT_HEADER = "受付番号,結果,基幹システム番号,エラー内容\r\n"


@pytest.fixture
def nintei(trusted, reviewer) -> list[Application]:
    """The signed 児童手当 認定請求 of the portal data (several), 基幹連携待ち."""
    for g in trusted.generated:
        if g.procedure_id == "jidou-teate-nintei":
            import_package(g.path.read_bytes(), g.path.name)
    applications = list(Application.objects.order_by("receipt_number"))
    make_ready(applications, reviewer)
    return applications


def kaigo_application(trusted, approver, receipt_number="2026112600000501") -> Application:
    """A 要介護認定 application, approved for hand-over by a reviewer of 介護保険課."""
    form = {
        "applicant_name": "鈴木　一郎",
        "applicant_birth_date": "1950-04-01",
        "applicant_address": "東京都千代田区一番町1番地",
    }
    package = spec(
        receipt_number, procedure_id="kaigo-nintei", procedure_version="2026.2", form=form
    )
    import_package(build(trusted.ca, package), f"{receipt_number}.zip")
    application = Application.objects.get(receipt_number=receipt_number)
    make_ready([application], approver)
    return application


def state_of(application: Application) -> tuple[str, str]:
    application.refresh_from_db()
    delivery = Delivery.objects.get(application=application)
    return application.status, delivery.state


def test_without_configuration_every_core_system_is_transcribed(nintei):
    deliveries = Delivery.objects.filter(application__in=nintei)
    assert {(d.core_system, d.method, d.state) for d in deliveries} == {
        ("jidou_teate", HandoffMethod.TRANSCRIPTION, DeliveryState.PENDING)
    }


def test_the_method_is_chosen_per_core_system_and_per_procedure(configure, trusted):
    configure(
        '[jidou_teate]\nmethod = "batch"\n[jidou_teate.procedures]\n"jidou-teate-genkyo" = "rpa"\n'
    )
    plugin = core_system("jidou_teate")
    assert plugin.name == "児童手当システム"
    by_id = {p.procedure_id: p for p in trusted_procedures("jidou_teate")}
    assert plugin.method_for(by_id["jidou-teate-nintei"]) == HandoffMethod.BATCH
    assert plugin.method_for(by_id["jidou-teate-genkyo"]) == HandoffMethod.RPA


def trusted_procedures(key: str):
    from madoguchi.procedures.models import Procedure

    return Procedure.objects.filter(core_system=key)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[jidou_teate]\nplugin = "nothing"\n', "plugin = 'nothing' は登録されていません"),
        ('[jidou_teate]\nmethod = "fax"\n', "method = 'fax' は使えません"),
        ('[jidou_teate]\ndrop_folder = "x"\n', "不明な設定: drop_folder"),
    ],
)
def test_a_configuration_mistake_is_named(configure, catalog, text, message):
    configure(text)
    with pytest.raises(ConfigurationError, match=message):
        core_system("jidou_teate")


def test_transcription_screen_in_the_core_systems_order_with_wareki_then_transcribed(
    client, configure, trusted, kaigo_clerk, kaigo_reviewer, counter_clerk
):
    configure('[kaigo_hoken]\nera_dates = true\nmethod = "transcription"\n')
    application = kaigo_application(trusted, kaigo_reviewer)
    url = f"/linking/{application.receipt_number}/"

    sign_in(client, counter_clerk)  # 子育て支援課: another department's record does not exist
    assert client.get(url).status_code == 404
    assert client.post(url + "transcribed/").status_code == 404

    sign_in(client, kaigo_clerk)
    page = client.get(url).content.decode()
    headers = [c["header"] for c in application.procedure.export_columns]
    positions = [page.index(f'data-header="{h}"') for h in headers]
    assert positions == sorted(positions)  # the core system's input order
    assert "昭和25年4月1日" in page  # 和暦, as this core system expects
    assert 'data-value="1950-04-01"' in page  # the machine value stays ISO for an RPA tool
    assert page.count('class="copy"') == len(headers)
    assert AuditEvent.objects.filter(
        action=AuditAction.APPLICATION_VIEWED,
        actor=kaigo_clerk,
        target_id=application.receipt_number,
        extra__screen="transcription",
    ).exists()

    client.post(url + "transcribed/", {"external_key": "K-1"})  # not confirmed: nothing
    assert state_of(application) == (Status.READY_FOR_HANDOFF, DeliveryState.PENDING)
    client.post(url + "transcribed/", {"external_key": " K-1 ", "confirmed": "on"})
    assert state_of(application) == (Status.HANDED_OFF, DeliveryState.ACKNOWLEDGED)
    assert Delivery.objects.get(application=application).external_key == "K-1"
    assert AuditEvent.objects.filter(
        action=AuditAction.HANDOFF_ACKNOWLEDGED, actor=kaigo_clerk
    ).exists()


def test_rpa_reads_stable_ids_and_downloads_one_record(
    client, trusted, kaigo_clerk, kaigo_reviewer
):
    application = kaigo_application(trusted, kaigo_reviewer)
    sign_in(client, kaigo_clerk)
    base = f"/linking/{application.receipt_number}"
    page = client.get(base + "/").content.decode()
    assert 'id="item-1" data-item="application.receipt_number"' in page
    assert 'id="mark-transcribed"' in page

    data = json.loads(client.get(base + "/record.json").content)
    assert data["receipt_number"] == application.receipt_number
    values = {i["source"]: i["value"] for i in data["items"]}
    assert values["form.applicant_name"] == "鈴木　一郎"
    assert values["form.applicant_birth_date"] == "1950-04-01"

    body = client.get(base + "/record.csv").content.decode("utf-8")
    assert body.startswith("\ufeff受付番号,")
    assert "鈴木　一郎" in body.splitlines()[1]
    downloads = AuditEvent.objects.filter(
        action=AuditAction.RECORD_DOWNLOADED, target_id=application.receipt_number
    )
    assert sorted(e.extra["format"] for e in downloads) == ["csv", "json"]


def test_the_pull_api_lists_gives_and_takes_acknowledgements(
    client, configure, trusted, kaigo_clerk, kaigo_reviewer, reviewer, capsys
):
    configure('[kaigo_hoken]\nmethod = "pull_api"\n[jidou_teate]\nmethod = "pull_api"\n')
    application = kaigo_application(trusted, kaigo_reviewer)
    receipt = application.receipt_number
    call_command("linking", "token", "kaigo_hoken")
    token = capsys.readouterr().out.strip()
    call_command("linking", "token", "jidou_teate")
    other = capsys.readouterr().out.strip()
    _row, staff_token = ApiToken.issue(reviewer, "staff")

    def api(method, path, body=None, bearer=token):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"}
        if method == "post":
            return client.post(
                path, json.dumps(body or {}), content_type="application/json", **kwargs
            )
        return client.get(path, **kwargs)

    base = "/api/v1/core-systems/kaigo_hoken/records"
    listed = api("get", base).json()["results"]
    assert [r["receipt_number"] for r in listed] == [receipt]
    # Scoped: another core system's token, or a member of staff's, reads nothing here.
    assert api("get", base, bearer=other).status_code == 404
    assert api("get", f"{base}/{receipt}", bearer=other).status_code == 404
    assert api("get", base, bearer=staff_token).status_code == 401
    # Acknowledging what was never fetched is refused.
    assert api("post", f"{base}/{receipt}/acknowledgement", {"result": "ok"}).status_code == 409

    record = api("get", f"{base}/{receipt}").json()
    assert [i["header"] for i in record["items"]] == [
        c["header"] for c in application.procedure.export_columns
    ]
    # The 申請ZIP beside the record: the bytes as received, their SHA-256 said, audited.
    package = api("get", f"{base}/{receipt}/package")
    assert package["Content-Type"] == "application/zip"
    stored = application.evidence.package_bytes
    assert package.content == stored
    assert package["X-Content-SHA256"] == hashlib.sha256(stored).hexdigest()
    assert AuditEvent.objects.filter(
        action=AuditAction.HANDOFF_PACKAGE_FETCHED, target_id=receipt
    ).exists()
    assert api("get", f"{base}/{receipt}/package", bearer=other).status_code == 404
    assert record["state"] == DeliveryState.SENT
    assert api("get", base).json()["results"] == []  # no longer waiting

    refused = api(
        "post",
        f"{base}/{receipt}/acknowledgement",
        {"result": "failed", "error": "被保険者番号が台帳にありません"},
    )
    assert refused.json()["state"] == DeliveryState.FAILED
    assert state_of(application) == (Status.READY_FOR_HANDOFF, DeliveryState.FAILED)

    resend(Delivery.objects.get(application=application).pk, actor=kaigo_clerk)  # clerk resends
    assert [r["receipt_number"] for r in api("get", base).json()["results"]] == [receipt]
    assert api("get", f"{base}/{receipt}").json()["attempts"] == 2
    done = api(
        "post",
        f"{base}/{receipt}/acknowledgement",
        {"result": "ok", "core_system_key": "KH-2026-000123"},
    )
    assert done.json() == {
        "receipt_number": receipt,
        "state": "acknowledged",
        "core_system_key": "KH-2026-000123",
    }
    again = api("post", f"{base}/{receipt}/acknowledgement", {"result": "ok"})
    assert again.status_code == 200  # a repeated acknowledgement changes nothing
    assert state_of(application) == (Status.HANDED_OFF, DeliveryState.ACKNOWLEDGED)
    assert Delivery.objects.get(application=application).external_key == "KH-2026-000123"
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.HANDOFF_RECORD_FETCHED, target_id=receipt
        ).count()
        == 2
    )


def test_scheduled_batch_to_the_demo_core_system_and_its_result_file(
    configure, trusted, nintei, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    drop, results = tmp_path / "drop", tmp_path / "results"
    configure(
        f'[jidou_teate]\nplugin = "demo"\nmethod = "batch"\nbatch_every_minutes = 60\n'
        f'drop_dir = "{drop}"\nresult_dir = "{results}"\n'
    )
    # One more, signed by a card not in the registry: no 宛名番号, which the core system needs.
    import_package(build(trusted.ca, spec("2026112600000601")), "x.zip")
    unknown = Application.objects.get(receipt_number="2026112600000601")
    make_ready([unknown], reviewer)
    # Scheduled at the change to 基幹連携待ち, so the new method applies to the new one only.
    Delivery.objects.update(method=HandoffMethod.BATCH)

    with django_capture_on_commit_callbacks(execute=True):
        hand_over()
    files = sorted(drop.glob("*.csv"))
    newest = Procedure.current(["jidou-teate-nintei"])["jidou-teate-nintei"].version
    assert [f.name.split("_")[1] for f in files] == ["2026.1", newest]  # one per version
    for path in files:
        manifest = json.loads(path.with_name(path.name + ".manifest.json").read_text())
        assert manifest["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert manifest["records"] == len(path.read_bytes().decode("cp932").splitlines()) - 1
        assert manifest["encoding"] == "cp932"
    assert sum(b.records for b in BatchFile.objects.all()) == len(nintei) + 1

    with django_capture_on_commit_callbacks(execute=True):
        hand_over()  # the interval has not passed: no new file; the results are read
    assert len(list(drop.glob("*.csv"))) == 2
    assert list(results.glob("*.csv")) == []  # moved to done/
    assert {state_of(a) for a in nintei} == {(Status.HANDED_OFF, DeliveryState.ACKNOWLEDGED)}
    assert state_of(unknown) == (Status.READY_FOR_HANDOFF, DeliveryState.FAILED)
    delivery = Delivery.objects.get(application=unknown)
    assert delivery.last_error == "宛名番号がないため取り込めません"
    assert delivery.next_attempt_at is None  # refused by the core system: a clerk decides
    keys = set(
        Delivery.objects.filter(application__in=nintei).values_list("external_key", flat=True)
    )
    assert {k[:3] for k in keys} == {"JI-"} and len(keys) == len(nintei)


def test_a_failing_core_system_is_retried_with_back_off_then_left_to_a_clerk(
    client,
    configure,
    nintei,
    reviewer,
    counter_clerk,
    kaigo_clerk,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.DIGEST_HOUR = 24  # no digest during the runs; it is sent below, by hand
    configure(
        '[jidou_teate]\nplugin = "failing-demo"\nmethod = "batch"\nbatch_every_minutes = 1\n'
        "max_attempts = 3\nretry_seconds = 600\n"
    )
    Delivery.objects.update(method=HandoffMethod.BATCH)
    start = timezone.now()

    def run(after: dt.timedelta) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            hand_over(start + after)

    run(dt.timedelta(0))
    deliveries = Delivery.objects.filter(application__in=nintei)
    assert {(d.state, d.attempts) for d in deliveries} == {(DeliveryState.FAILED, 1)}
    assert "基幹システムに接続できません" in deliveries[0].last_error
    run(dt.timedelta(minutes=5))  # within the back-off: not sent again
    assert {d.attempts for d in deliveries.all()} == {1}
    run(dt.timedelta(minutes=11))  # 600 s passed: tried again, then 1,200 s
    assert {d.attempts for d in deliveries.all()} == {2}
    run(dt.timedelta(minutes=32))
    assert {(d.state, d.attempts, d.next_attempt_at) for d in deliveries.all()} == {
        (DeliveryState.FAILED, 3, None)  # the limit: now it waits for a clerk
    }
    run(dt.timedelta(hours=5))
    assert {d.attempts for d in deliveries.all()} == {3}

    # On the 基幹連携 screen, for the department's staff only.
    sign_in(client, counter_clerk)
    page = client.get("/linking/").content.decode()
    assert 'data-testid="failure-digest"' in page
    assert all(a.receipt_number in page for a in nintei)
    sign_in(client, kaigo_clerk)
    assert 'data-testid="failure-digest"' not in client.get("/linking/").content.decode()

    # The day's digest reaches the department's staff, once.
    settings.DIGEST_HOUR = 8
    reviewer.email = "shinsa@example.lg.jp"
    reviewer.save()
    counter_clerk.email = "madoka@example.lg.jp"
    counter_clerk.save()
    morning = dt.datetime.combine(timezone.localdate(), dt.time(9, 0), tzinfo=JST)
    assert send_failure_digest(morning) == 1
    assert send_failure_digest(morning + dt.timedelta(hours=1)) == 0
    [message] = mail.outbox
    assert sorted(message.to) == ["madoka@example.lg.jp", "shinsa@example.lg.jp"]
    for application in nintei:
        assert application.receipt_number in message.body
    assert f"基幹連携の失敗 {len(nintei)} 件" in message.subject

    resend(deliveries[0].pk, actor=reviewer)
    assert Delivery.objects.get(pk=deliveries[0].pk).state == DeliveryState.PENDING


def test_a_result_file_with_partial_failure(
    nintei, tmp_path, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "export", "batch", "--procedure", "jidou-teate-nintei",
            "--format", "csv-cp932", "--out", str(tmp_path / "out"), "--json",
        )  # fmt: skip
    capsys.readouterr()
    first, second, third, *unanswered = (a.receipt_number for a in nintei)
    result = tmp_path / "result.csv"
    result.write_bytes(
        (
            RESULT_HEADER
            + f"{first},OK,JT-0001,\r\n"
            + f"{second},NG,,口座番号の桁数が違います\r\n"
            + "2099123100000000,OK,JT-0003,\r\n"
            + f"{third},保留,,\r\n"
            + f"{first},OK,JT-0001,\r\n"
        ).encode("cp932")
    )
    call_command("export", "reconcile", str(result), "--core-system", "jidou_teate", "--json")
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["acknowledged"] == [first]
    assert outcome["failed"] == [second]
    assert outcome["unchanged"] == [first]
    assert [(e["line"], e["receipt_number"]) for e in outcome["errors"]] == [
        (4, "2099123100000000"),
        (5, third),
    ]
    assert Path(outcome["kept_as"]).read_bytes() == result.read_bytes()
    assert state_of(nintei[0]) == (Status.HANDED_OFF, DeliveryState.ACKNOWLEDGED)
    assert state_of(nintei[1]) == (Status.READY_FOR_HANDOFF, DeliveryState.FAILED)
    assert Delivery.objects.get(application=nintei[1]).last_error == "口座番号の桁数が違います"
    for untouched in (third, *unanswered):  # not answered (yet): still 送付済
        assert Delivery.objects.get(application__receipt_number=untouched).state == "sent"

    # A file that is not a result file at all changes nothing, and says why.
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,status\r\n1,OK\r\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1行目が見出し"):
        call_command("export", "reconcile", str(wrong), "--core-system", "jidou_teate")
    assert Delivery.objects.get(application__receipt_number=third).state == "sent"


def test_the_result_folder_keeps_an_unreadable_file_apart(configure, catalog, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    configure(f'[jidou_teate]\nresult_dir = "{results}"\n')
    (results / "broken.csv").write_bytes(b"\x00\x01 not csv")
    assert import_result_files(all_core_systems()) == 1
    assert (results / "unreadable" / "broken.csv").exists()


def test_a_result_line_that_cannot_be_used_is_logged_with_its_file_and_line(
    configure, catalog, tmp_path, caplog
):
    """A vendor's file with a line naming a record never sent: the line changes nothing and
    the log names the file and the line; a file still being written (a dot name) waits."""
    results = tmp_path / "results"
    results.mkdir()
    configure(f'[jidou_teate]\nresult_dir = "{results}"\n')
    (results / "answers.csv").write_text(
        "受付番号,結果,基幹システム番号,エラー内容\r\n2099010100000001,OK,X-1,\r\n",
        encoding="utf-8",
    )
    (results / ".writing.csv").write_text("受付番号,結果", encoding="utf-8")
    with caplog.at_level("WARNING", logger="madoguchi.linking.tasks"):
        assert import_result_files(all_core_systems()) == 1
    assert "answers.csv line 2 (2099010100000001) not used" in caplog.text
    assert (results / "done" / "answers.csv").exists()
    assert (results / ".writing.csv").exists()  # left for the writer to finish


def test_leaving_ready_drops_what_was_not_sent_and_refuses_once_sent(
    nintei, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    change_status(nintei[0].pk, Status.IN_REVIEW, actor=reviewer)
    assert not Delivery.objects.filter(application=nintei[0]).exists()
    change_status(nintei[0].pk, Status.READY_FOR_HANDOFF, actor=reviewer)
    assert Delivery.objects.get(application=nintei[0]).state == DeliveryState.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "export", "batch", "--procedure", "jidou-teate-nintei",
            "--format", "csv-utf8", "--out", str(tmp_path),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="送付済み"):
        change_status(nintei[1].pk, Status.WITHDRAWN, actor=reviewer, reason="本人から連絡")
    with pytest.raises(ValidationError, match="基幹連携済には"):
        change_status(nintei[1].pk, Status.HANDED_OFF, actor=reviewer)
    assert state_of(nintei[1]) == (Status.READY_FOR_HANDOFF, DeliveryState.SENT)


def test_a_resent_pull_api_record_is_not_held_back_and_cannot_be_marked_transcribed(
    configure, trusted, kaigo_reviewer, kaigo_clerk, capsys
):
    """Regression: resend kept the core system's error, so the record looked held back and
    転記済 (which only held-back or transcription records may take) went through."""
    configure('[kaigo_hoken]\nmethod = "pull_api"\n')
    application = kaigo_application(trusted, kaigo_reviewer)
    delivery = Delivery.objects.get(application=application)
    mark_sent([delivery.pk], method=HandoffMethod.PULL_API)
    acknowledge(delivery.pk, ok=False, error="被保険者番号がありません", via="pull_api")
    resend(delivery.pk, actor=kaigo_clerk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.held_back, delivery.last_error) == (
        DeliveryState.PENDING,
        False,
        "",
    )
    with pytest.raises(ValidationError, match="基幹システムが取り込みます"):
        mark_transcribed(delivery.pk, actor=kaigo_clerk)


def test_held_back_is_only_ever_a_waiting_record_with_its_reason(nintei):
    delivery = Delivery.objects.get(application=nintei[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(held_back=True)  # no reason
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            held_back=True, last_error="保留: x", state=DeliveryState.SENT
        )


def test_the_list_names_core_systems_offers_transcription_for_held_back_and_resends_in_bulk(
    client, trusted, kaigo_clerk, kaigo_reviewer
):
    first = kaigo_application(trusted, kaigo_reviewer, "2026112600000901")
    second = kaigo_application(trusted, kaigo_reviewer, "2026112600000902")
    held = kaigo_application(trusted, kaigo_reviewer, "2026112600000903")
    Delivery.objects.filter(application__in=[first, second]).update(
        state=DeliveryState.FAILED, failed_at=timezone.now(), last_error="台帳エラー"
    )
    Delivery.objects.filter(application=held).update(held_back=True, last_error="外字: 髙")
    sign_in(client, kaigo_clerk)
    page = client.get("/linking/").content.decode()
    name = core_system("kaigo_hoken").name
    assert f"<td>{name}</td>" in page and "<td>kaigo_hoken</td>" not in page
    assert page.count('data-testid="transcribe-held"') == 1
    assert 'data-testid="resend-failed"' in page

    client.post("/linking/resend-failed/", {"core_system": "kaigo_hoken"})
    assert state_of(first)[1] == state_of(second)[1] == DeliveryState.PENDING
    assert AuditEvent.objects.filter(action=AuditAction.HANDOFF_RESENT).count() == 2
    assert Delivery.objects.get(application=held).held_back  # not a failure: left as it was


def test_the_list_finds_a_hand_over_by_applicant_procedure_state_and_day(client, nintei, reviewer):
    """The 基幹連携 list filters as the inbox does (申請者, 手続, 受付日) and by its own 連携状況
    and 基幹システム; each row names the applicant and its 受付日 in 和暦."""
    import re

    from madoguchi.lib.wareki import to_wareki_short

    target = nintei[0]
    Delivery.objects.filter(application=target).update(
        state=DeliveryState.FAILED, failed_at=timezone.now(), last_error="台帳エラー"
    )
    everyone = sorted(a.receipt_number for a in nintei)
    sign_in(client, reviewer)

    def rows(**query: str) -> list[str]:
        page = client.get("/linking/", query).content.decode()
        table = page.split('data-testid="deliveries"')[1]
        return sorted(re.findall(r'data-receipt-number="(\d+)" data-state', table))

    assert rows() == everyone and len(everyone) > 1
    assert rows(state="failed") == [target.receipt_number]
    assert rows(q=target.receipt_number) == [target.receipt_number]
    same_name = {a.receipt_number for a in nintei if a.applicant_name == target.applicant_name}
    by_name = set(rows(q=target.applicant_name))
    assert target.receipt_number in by_name and by_name <= same_name
    assert rows(procedure="jidou-teate-nintei") == everyone
    assert rows(procedure="kaigo-nintei") == []  # another department's: not offered
    received = timezone.localdate(target.received_at)
    assert rows(received_from=received.isoformat(), received_to=received.isoformat()) == sorted(
        a.receipt_number for a in nintei if timezone.localdate(a.received_at) == received
    )
    assert rows(received_to=(received - dt.timedelta(days=400)).isoformat()) == []
    assert rows(core_system="jidou_teate", state="failed") == [target.receipt_number]
    page = client.get("/linking/").content.decode()
    assert f"<td>{to_wareki_short(received)}</td>" in page
    assert target.applicant_name in page
    wrong = client.get("/linking/", {"received_from": "0001-01-01"})
    assert wrong.status_code == 200 and "1900年から2999年までの日付" in wrong.content.decode()
    assert rows(received_from="0001-01-01") == []  # nothing half-filtered


class OwnLayout(CoreSystem):
    """A core system whose input takes fewer items, in its own order, under its own names."""

    plugin_name: ClassVar[str] = "own-layout"

    def layout(self, procedure: Procedure) -> list[dict[str, str]]:
        wanted = {"application.receipt_number": "受付番号(自庁)"}
        own = [c for c in procedure.export_columns if c["source"] == "form.applicant_name"]
        return [{"header": "氏名(自庁)", "source": own[0]["source"]}] + [
            {"header": header, "source": source} for source, header in wanted.items()
        ]


def test_a_plugins_own_layout_reaches_its_batch_file_as_it_reaches_the_pull_api(
    configure, nintei, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    """Batch files once took the catalog's columns whatever the plugin said; now the record
    builder gives every 方式 the plugin's layout."""
    monkeypatch.setitem(PLUGINS, OwnLayout.plugin_name, OwnLayout)
    configure('[jidou_teate]\nplugin = "own-layout"\nmethod = "batch"\n')
    with django_capture_on_commit_callbacks(execute=True):
        report = export_batch("jidou-teate-nintei", "csv-utf8", tmp_path, actor=None)
    assert report.files and not report.held_back
    names = {a.receipt_number: a.applicant_name for a in nintei}
    for path in report.files:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "氏名(自庁),受付番号(自庁)"
        for line in lines[1:]:
            name, number = line.split(",")
            assert names[number] == name
        manifest = json.loads(path.with_name(path.name + ".manifest.json").read_text())
        assert [c["header"] for c in manifest["columns"]] == ["氏名(自庁)", "受付番号(自庁)"]
    assert sum(len(p.read_text().splitlines()) - 1 for p in report.files) == len(nintei)
