"""Hostile input, end to end: packages correctly signed by a card whose holder controls every
value they sign, and the other edges an attacker reaches (logins, the second factor, 補正
answers, the audit log, the spool, CRL sources, registry files, request values)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DataError
from django.utils import timezone

from conftest import PASSWORD, sign_in
from madoguchi.accounts.actions import SECOND_FACTOR_FAILURE_LIMIT
from madoguchi.accounts.models import ApiToken, User
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application
from madoguchi.audit.actions import anchor, record, verify_chain
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent, ChainHead
from madoguchi.intake import actions as intake_actions
from madoguchi.intake.actions import import_package
from madoguchi.intake.constants import Outcome, Reason
from madoguchi.lib import totp
from madoguchi.linking.models import Delivery
from madoguchi.operations.worker import drain, refresh_crls
from madoguchi.relay.passes import push_statuses
from madoguchi.relay.portal import PortalClient, PortalError
from madoguchi.relay.spool import Spool
from madoguchi.residents.actions import load_links
from madoguchi.residents.loader import LoadError
from madoguchi.vocabulary import Identification, Status
from pittari_sim.generate import tiny_png
from tests.builders import build, make_ready, spec
from tests.test_identification import ROW, write_csv
from tests.test_linking_characters import export

pytestmark = pytest.mark.django_db

CRLF_ADDRESS = "東京都千代田区1番\r\n2026112699999999XXXX偽のレコード"
FORMULA_NAME = '=HYPERLINK("http://attacker.example/","請求者")'
BIDI_FILE = "invoice\u202efdp.html"


def signed(trusted, receipt: str, **form: str) -> Application:
    package = spec(receipt, form={"applicant_name": "山田　花子", **form})
    assert import_package(build(trusted.ca, package), f"{receipt}.zip").outcome == "accepted"
    return Application.objects.get(receipt_number=receipt)


@pytest.fixture
def hostile(trusted, reviewer) -> dict[str, Application]:
    """Three signed applications carrying hostile values, approved for hand-over."""
    applications = {
        "crlf": signed(trusted, "2026112600008001", applicant_address=CRLF_ADDRESS),
        "formula": signed(trusted, "2026112600008002", applicant_name=FORMULA_NAME),
        "bidi": signed(trusted, "2026112600008003", applicant_name="山田\u202e子花"),
    }
    make_ready(applications.values(), reviewer)
    return applications


def test_hostile_values_are_received_flagged_and_never_split_a_record(hostile):
    assert hostile["crlf"].form_errors["applicant_address"] == [
        "改行・制御文字・文字の向きを変える記号は使えません"
    ]
    assert hostile["bidi"].form_errors["applicant_name"] == [
        "改行・制御文字・文字の向きを変える記号は使えません"
    ]
    # The form keeps exactly what was signed.
    assert hostile["crlf"].form["applicant_address"] == CRLF_ADDRESS


@pytest.mark.parametrize("file_format", ["fixed", "csv-cp932", "csv-utf8", "csv-standard"])
def test_no_file_for_a_core_system_carries_them(
    hostile, tmp_path, capsys, django_capture_on_commit_callbacks, file_format
):
    report = export(file_format, tmp_path, capsys, django_capture_on_commit_callbacks)
    held = {h["receipt_number"]: h["reason"] for h in report["held_back"]}
    assert held == {
        "2026112600008001": "改行・制御文字が含まれています",
        "2026112600008002": "表計算ソフトで式として実行される文字 (= + - @) で始まります",
        "2026112600008003": "文字の向きを変える制御文字が含まれています",
    }
    assert report["files"] == []  # nothing else waited: no file at all
    for application in hostile.values():
        delivery = Delivery.objects.get(application=application)
        assert delivery.state == "pending" and delivery.last_error.startswith("保留: ")


def test_a_clean_record_beside_them_goes_out_whole(
    hostile, trusted, reviewer, tmp_path, capsys, django_capture_on_commit_callbacks
):
    clean = signed(trusted, "2026112600008009", applicant_address="東京都千代田区1番")
    make_ready([clean], reviewer)
    report = export("fixed", tmp_path, capsys, django_capture_on_commit_callbacks)
    [path] = report["files"]
    data = Path(path).read_bytes()
    assert data.count(b"\r\n") == 1 and data.startswith(b"2026112600008009")


def test_the_per_record_csv_for_people_runs_no_formula(client, hostile, counter_clerk):
    sign_in(client, counter_clerk)
    receipt = hostile["formula"].receipt_number
    body = client.get(f"/linking/{receipt}/record.csv").content.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    cells = dict(zip(header, row, strict=True))
    assert cells["請求者氏名"] == "'" + FORMULA_NAME
    assert not any(c.startswith(("=", "+", "-", "@")) for c in row)


def test_screens_show_controls_instead_of_obeying_them(client, hostile, counter_clerk):
    sign_in(client, counter_clerk)
    page = client.get(f"/applications/{hostile['bidi'].receipt_number}/").content.decode()
    assert "\u202e" not in page
    assert "山田[U+202E]子花" in page
    transcription = client.get(f"/linking/{hostile['crlf'].receipt_number}/").content.decode()
    assert "1番[U+000D][U+000A]2026112699999999" in transcription


def test_a_bidi_file_name_is_shown_as_it_is_spelled(client, trusted, counter_clerk):
    package = spec("2026112600008004", attachments=[(BIDI_FILE, "image/png", tiny_png(4))])
    import_package(build(trusted.ca, package), "b.zip")
    sign_in(client, counter_clerk)
    page = client.get("/applications/2026112600008004/").content.decode()
    assert "invoice[U+202E]fdp.html" in page and "\u202e" not in page


def test_a_name_too_long_for_its_column_is_received_and_flagged(trusted):
    application = signed(trusted, "2026112600008005", applicant_name="長" * 500)
    assert application.form["applicant_name"] == "長" * 500
    assert application.form_errors["applicant_name"] == ["50 文字以内で入力してください"]


def test_a_value_the_database_refuses_quarantines_its_package(trusted, monkeypatch):
    def refuse(*args, **kwargs):
        raise DataError("value too long for type character varying(64)")

    monkeypatch.setattr(intake_actions, "_receive", refuse)
    result = import_package(trusted.packages[0].read_bytes(), "long.zip")
    assert (result.outcome, result.reason) == (Outcome.QUARANTINED, Reason.STORAGE_REFUSED)
    assert "value too long" in result.detail


# --- accounts ---


@pytest.mark.parametrize("typed", ["ｍａｄｏｋａ", " madoka", "madoka "])
def test_the_lockout_keys_on_the_user_however_the_name_is_typed(client, counter_clerk, typed):
    for _ in range(5):
        client.post("/login/", {"username": "madoka", "password": "wrong"})
    response = client.post("/login/", {"username": typed, "password": PASSWORD})
    assert "ロックされています" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_second_factor_codes_lock_across_sessions(client, reviewer, settings):
    secret = totp.new_secret()
    User.objects.filter(pk=reviewer.pk).update(totp_secret=secret)
    for _attempt in range(SECOND_FACTOR_FAILURE_LIMIT):
        client.post("/login/", {"username": reviewer.username, "password": PASSWORD})
        client.post("/second-factor/", {"code": "000000"})  # a new session for every try
    reviewer.refresh_from_db()
    assert reviewer.totp_locked_until is not None
    # Even the right code is refused while locked.
    client.post("/login/", {"username": reviewer.username, "password": PASSWORD})
    client.post("/second-factor/", {"code": totp.code_at(secret, totp.counter_now())})
    assert client.get("/applications/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_LOCKED).count() == 1

    call_command("accounts", "reset-second-factor", reviewer.username)
    reviewer.refresh_from_db()
    assert (reviewer.totp_secret, reviewer.totp_locked_until) == ("", None)
    assert AuditEvent.objects.filter(
        action=AuditAction.SECOND_FACTOR_RESET, target_id=reviewer.username
    ).exists()


def test_issuing_a_staff_api_token_is_audited(reviewer, capsys):
    call_command("api", "token", reviewer.username, "--name", "RPA")
    value = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(token_sha256=hashlib.sha256(value.encode()).hexdigest())
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_ISSUED)
    assert (event.target_id, event.extra["token_id"]) == (reviewer.username, token.pk)


def test_the_administrator_decides_nothing(trusted, administrator):
    application = signed(trusted, "2026112600008006")
    change_status(application.pk, Status.IN_REVIEW, actor=administrator)
    for decision in (Status.READY_FOR_HANDOFF, Status.REJECTED):
        with pytest.raises(Exception, match="審査担当|所属長|権限"):
            change_status(application.pk, decision, actor=administrator, reason="x")
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW


# --- 補正 answers ---


def test_an_answer_signed_by_someone_else_replaces_nothing_until_a_reviewer_accepts(
    trusted, tmp_path, client, reviewer, counter_clerk
):
    """The application was filed with 山田 花子's card; the answer comes signed by another
    linked resident's card and tries to change the bank account."""
    load_links(write_csv(tmp_path, {**ROW, "serial_number": "5EED01"}), delta=True)
    other = {
        **ROW,
        "serial_number": "5EED02",
        "resident_code": "99999999999",
        "atena_number": "9000000009",
        "name": "他人　太郎",
    }
    load_links(write_csv(tmp_path, other), delta=True)
    person = {"name": ROW["name"], "birth_date": dt.date(1990, 1, 1), "sex": "2"}
    first = spec(
        "2026112600008101", form={"applicant_name": ROW["name"], "account_number": "1111111"}
    )
    import_package(
        build(
            trusted.ca, first, cert_kwargs={**person, "address": ROW["address"], "serial": 0x5EED01}
        ),
        "1.zip",
    )
    original = Application.objects.get(receipt_number="2026112600008101")
    assert original.identification == Identification.IDENTIFIED
    change_status(original.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(original.pk, Status.CORRECTION_REQUESTED, actor=reviewer, reason="口座を確認")

    answer = spec(
        "2026112600008102",
        form={"applicant_name": ROW["name"], "account_number": "9999999"},
        correction_of=original.receipt_number,
    )
    forged_card = {
        "name": "他人　太郎",
        "birth_date": dt.date(1990, 1, 1),
        "sex": "2",
        "address": ROW["address"],
        "serial": 0x5EED02,
    }
    import_package(build(trusted.ca, answer, cert_kwargs=forged_card), "2.zip")
    original.refresh_from_db()
    assert original.status == Status.CORRECTION_REQUESTED
    assert original.form["account_number"] == "1111111"
    assert any("内容は反映していません" in n for n in original.identification_notes)
    assert AuditEvent.objects.filter(action=AuditAction.CORRECTION_HELD).exists()
    reply = original.correction_replies.get()
    url = f"/applications/{original.receipt_number}/corrections/{reply.pk}/accept/"

    sign_in(client, counter_clerk)  # a 窓口担当 may not take it in
    client.post(url)
    original.refresh_from_db()
    assert original.form["account_number"] == "1111111"

    sign_in(client, reviewer)
    assert "保留中" in client.get(f"/applications/{original.receipt_number}/").content.decode()
    client.post(url)
    original.refresh_from_db()
    assert (original.status, original.form["account_number"]) == (Status.IN_REVIEW, "9999999")
    assert AuditEvent.objects.filter(
        action=AuditAction.CORRECTION_ACCEPTED, actor=reviewer
    ).exists()


# --- the audit log ---


def _events(n: int) -> None:
    for i in range(n):
        record(AuditAction.MY_NUMBER_VIEWED, actor=None, target_type="resident", target_id=str(i))


def test_deleting_an_event_and_rechaining_with_the_published_formula_is_caught(tmp_path):
    """The attacker can write the database and has read the code, but not the key."""
    _events(5)
    AuditEvent.objects.filter(seq=3).delete()
    prev = "0" * 64
    for seq, event in enumerate(AuditEvent.objects.order_by("seq"), start=1):
        event.seq = seq
        event.prev_hash = prev
        canonical = json.dumps(
            event.payload(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        event.hash = hashlib.sha256((prev + canonical).encode()).hexdigest()  # plain SHA-256
        event.save()
        prev = event.hash
    ChainHead.objects.filter(pk=1).update(last_seq=4, last_hash=prev)
    problems = verify_chain(tmp_path / "none.jsonl")
    assert problems and all("改ざん" in p for p in problems)


def test_rechaining_with_a_guessed_key_is_caught(settings, tmp_path):
    _events(3)
    good = settings.AUDIT_KEYS
    settings.AUDIT_KEYS = ["a guessed key"]
    # Rewrite every event under the guessed key, as `record` would.
    from madoguchi.audit.models import audit_keys

    key_id, key = next(iter(audit_keys().items()))
    prev = "0" * 64
    for event in AuditEvent.objects.order_by("seq"):
        event.prev_hash, event.key_id = prev, key_id
        event.hash = event.compute_hash(key)
        event.save()
        prev = event.hash
    ChainHead.objects.filter(pk=1).update(last_hash=prev)
    settings.AUDIT_KEYS = good
    assert any("鍵" in p for p in verify_chain(tmp_path / "none.jsonl"))


def test_an_anchor_catches_truncation_that_the_chain_alone_cannot(tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    _events(4)
    checkpoint = anchor(anchors)
    assert checkpoint is not None and checkpoint["seq"] == AuditEvent.objects.count()
    assert verify_chain(anchors) == []
    # A checkpoint every period, also when nothing happened: a missing one is a finding.
    again = anchor(anchors)
    assert again is not None and again["seq"] == checkpoint["seq"]
    assert verify_chain(anchors) == []
    # Cut the last two events and move the head back: the chain itself is consistent.
    last = AuditEvent.objects.count()
    AuditEvent.objects.filter(seq__gt=last - 2).delete()
    tail = AuditEvent.objects.order_by("-seq").first()
    ChainHead.objects.filter(pk=1).update(last_seq=tail.seq, last_hash=tail.hash)
    assert verify_chain(tmp_path / "none.jsonl") == []
    assert any("切り詰められています" in p for p in verify_chain(anchors))


def test_a_forged_anchor_line_is_caught(tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    _events(2)
    anchor(anchors)
    line = json.loads(anchors.read_text())
    line["hash"] = "f" * 64
    anchors.write_text(json.dumps(line) + "\n")
    assert any("署名を確認できません" in p for p in verify_chain(anchors))


def test_audit_anchor_and_verify_on_the_command_line(settings, tmp_path, capsys):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "a.jsonl"
    _events(1)
    call_command("audit", "anchor", "--json")
    assert json.loads(capsys.readouterr().out)["anchored"]["seq"] == 1
    call_command("audit", "verify", "--json")
    assert json.loads(capsys.readouterr().out)["ok"] is True


# --- workers that do not stop ---


def test_a_crl_source_answering_garbage_does_not_stop_the_worker(settings, tmp_path, trusted):
    garbage = tmp_path / "garbage.crl"
    garbage.write_bytes(b"HTTP/1.1 200 OK\r\n\r\n<html>")
    good = trusted.root / "trust" / "ca.crl"
    settings.CRL_SOURCES = [str(garbage), "http://127.0.0.1:9/nothing.crl", str(good)]
    refresh_crls()  # neither raises nor stops before the good source


def test_a_spool_file_in_the_wrong_folder_is_set_aside_with_its_reason(trusted, tmp_path):
    spool = Spool(tmp_path / "spool", b"k")
    spool.put("2026112600008201", trusted.packages[0].read_bytes())
    status = spool.post("17", json.dumps({"receipt_number": "x"}).encode())
    # Copied by hand into the wrong folders.
    (spool.sent / status.name).write_bytes(status.read_bytes())
    [package] = list(spool.incoming.iterdir())
    (spool.outbox / package.name.replace(".zip", ".json")).write_bytes(package.read_bytes())
    assert [f.name for f in spool.acknowledged()] == []
    assert drain(spool) == 1  # the real package goes in
    rejected = sorted(p.name for p in spool.rejected.iterdir())
    assert any(n.endswith(".reason.txt") for n in rejected)
    assert (spool.rejected / f"{status.name}.reason.txt").read_text().startswith("sent/")


def test_an_unreadable_status_update_is_set_aside_and_the_rest_go(tmp_path):
    spool = Spool(tmp_path / "spool", b"k")
    spool.post("1", b"not json")
    spool.post(
        "2", json.dumps({"receipt_number": "r", "status": "s", "message": "m", "ref": "2"}).encode()
    )

    class Portal:
        posted: list[str] = []

        def post_status(self, receipt_number, status, message, ref):
            self.posted.append(ref)

    portal = Portal()
    assert push_statuses(portal, spool) == 1
    assert portal.posted == ["2"]
    assert (spool.rejected / next(p.name for p in spool.rejected.glob("1.*.json"))).exists()


def test_a_package_that_breaks_the_worker_goes_to_rejected_not_round_again(
    trusted, tmp_path, monkeypatch
):
    spool = Spool(tmp_path / "spool", b"k")
    spool.put("2026112600008301", trusted.packages[0].read_bytes())
    from madoguchi.operations import worker

    def explode(data, name, run, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(worker, "import_package", explode)
    assert drain(spool) == 0
    assert list(spool.incoming.iterdir()) == []
    [reason] = spool.rejected.glob("*.reason.txt")
    assert "RuntimeError: a bug" in reason.read_text()


def test_a_listing_that_never_advances_is_cut_off(monkeypatch):
    client = PortalClient("http://127.0.0.1:9", "id", "secret")
    pages = iter(range(10**6))

    def same_page(method, path, body=None):
        next(pages)
        return {"items": [], "next_page": 1}

    monkeypatch.setattr(client, "_json", same_page)
    with pytest.raises(PortalError, match="does not advance"):
        list(client.list_applications())


# --- registry loads ---


def test_a_truncated_full_load_is_refused(tmp_path):
    rows = [
        {**ROW, "serial_number": f"{n:X}", "resident_code": f"{n:011d}", "atena_number": str(n)}
        for n in range(200, 220)
    ]
    load_links(write_csv(tmp_path, *rows))
    with pytest.raises(LoadError, match="--force"):
        load_links(write_csv(tmp_path, *rows[:3]))


# --- requests ---


@pytest.mark.parametrize(
    "query",
    [
        {"received_from": "0001-01-01"},
        {"received_to": "9999-12-31"},
        {"after": "9999-12-31T23:59:59+14:00_99999999999999999999"},
        {"after": "x_1"},
        {"q": "山田\x00"},
    ],
)
def test_out_of_range_values_and_nul_answer_400(client, counter_clerk, query):
    sign_in(client, counter_clerk)
    assert client.get("/applications/", query).status_code == 400


def test_nul_in_an_api_body_answers_400_and_the_api_is_never_cached(client, reviewer, trusted):
    _row, token = ApiToken.issue(reviewer, "t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = client.get("/api/v1/applications", **headers)
    assert answer["Cache-Control"] == "no-store"
    posted = client.post(
        "/api/v1/applications/x/transition",
        data=json.dumps({"to_status": "in_review\u0000"}),
        content_type="application/json",
        **headers,
    )
    assert posted.status_code == 400
    assert client.get("/api/v1/applications", {"after": "x"}, **headers).status_code == 400


def test_a_counter_clerk_cannot_learn_whether_an_atena_number_exists(
    client, trusted, counter_clerk
):
    application = signed(trusted, "2026112600008401")
    sign_in(client, counter_clerk)
    url = f"/applications/{application.receipt_number}/resolve/"
    known = client.post(url, {"resident": ROW["atena_number"], "note": "x"})
    unknown = client.post(url, {"resident": "1234509876", "note": "x"})
    assert known.status_code == unknown.status_code == 403


@pytest.mark.parametrize(
    "args",
    [
        ["export", "batch", "--procedure", "x", "--format", "csv-utf8", "--out", "{file}"],
        ["residents", "load", "{random}", "--format", "csv"],
        ["backup", "restore", "{file}"],
        ["relay", "run", "--once", "--portal", "not-a-url"],
    ],
)
def test_commands_answer_bad_input_in_japanese_without_a_traceback(tmp_path, args):
    (tmp_path / "file").write_bytes(b"not a database")
    (tmp_path / "random").write_bytes(bytes(range(128, 256)) * 8)
    argv = [a.format(file=tmp_path / "file", random=tmp_path / "random") for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "madoguchi", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "MADOGUCHI_DATA_DIR": str(tmp_path / "data")},
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    message = done.stderr.strip().splitlines()[0]
    assert any("\u3040" <= c <= "\u9fff" for c in message), done.stderr


def test_the_pull_api_does_not_hand_over_a_hostile_record(
    configure, trusted, reviewer, client, capsys
):
    configure('[jidou_teate]\nmethod = "pull_api"\n')
    application = signed(trusted, "2026112600008501", applicant_name=FORMULA_NAME)
    make_ready([application], reviewer)
    call_command("linking", "token", "jidou_teate")
    token = capsys.readouterr().out.strip()
    url = f"/api/v1/core-systems/jidou_teate/records/{application.receipt_number}"
    answer = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (answer.status_code, answer.json()["error"]) == (409, "held_back")
    delivery = Delivery.objects.get(application=application)
    assert delivery.state == "pending"
    assert delivery.last_error.startswith("保留: 「請求者氏名」の表計算ソフトで式")


def test_the_administrator_resets_a_second_factor_on_the_staff_screen(
    client, administrator, reviewer, counter_clerk
):
    User.objects.filter(pk=reviewer.pk).update(
        totp_secret=totp.new_secret(),
        totp_locked_until=timezone.now() + dt.timedelta(minutes=10),
    )
    url = f"/staff/{reviewer.pk}/reset-second-factor/"
    sign_in(client, counter_clerk)
    assert client.get("/staff/").status_code == 403
    assert client.post(url).status_code == 403
    sign_in(client, administrator)
    page = client.get("/staff/").content.decode()
    assert "ロック中" in page
    client.post(url)
    reviewer.refresh_from_db()
    assert (reviewer.totp_secret, reviewer.totp_locked_until) == ("", None)
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_RESET)
    assert (event.actor, event.target_id) == (administrator, reviewer.username)
