"""The whole path: portal → relay → spool → intake → staff action → batch file."""

from __future__ import annotations

import json
import threading
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from lxml import etree

from conftest import worker_spool
from madoguchi.applications.models import Application
from madoguchi.intake.actions import add_trust_anchor, import_package
from madoguchi.intake.models import RevocationList
from madoguchi.linking.batch import fixed_width
from madoguchi.linking.constants import DeliveryState
from madoguchi.linking.models import Delivery
from madoguchi.linking.reconcile import import_results
from madoguchi.operations.worker import drain, refresh_crls
from madoguchi.procedures.models import Procedure
from madoguchi.relay.passes import pull_once
from madoguchi.relay.portal import PortalClient, PortalError
from madoguchi.relay.spool import Spool
from madoguchi.vocabulary import Status
from pittari_sim.server import Portal, make_server
from tests.builders import build, export_csv, make_ready, read_rows, spec

pytestmark = pytest.mark.django_db
SECRET = "e2e-secret"
NS = {"p": "urn:madoguchi:pittari:1"}


@pytest.fixture
def sim_url(portal_data):
    """`pittari-sim serve` on a free port of 127.0.0.1."""
    server = make_server(Portal(portal_data.root, "madoguchi-demo", SECRET), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def portal_url(trusted, sim_url):
    return sim_url


def signed_forms(paths: list[Path]) -> dict[str, dict[str, str]]:
    """What each applicant signed, read straight from the package (not through madoguchi)."""
    forms = {}
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            root = etree.fromstring(archive.read("application.xml"))
        receipt = root.findtext("p:ReceiptNumber", namespaces=NS)
        forms[receipt] = {
            item.get("id"): item.text or "" for item in root.findall("p:Form/p:Item", NS)
        }
    return forms


def test_generated_packages_reach_the_core_system_file_as_signed(
    portal_url, trusted, tmp_path, reviewer, capsys, django_capture_on_commit_callbacks
):
    spool = worker_spool(tmp_path / "spool", b"hand-over key")
    client = PortalClient(portal_url, "madoguchi-demo", SECRET)
    assert pull_once(client, spool).fetched == len(trusted.packages)
    assert pull_once(client, spool).fetched == 0  # nothing fetched twice
    assert drain(spool) == len(trusted.packages)
    assert spool.pending() == []

    procedure_id = Counter(g.procedure_id for g in trusted.generated).most_common(1)[0][0]
    mine = Application.objects.filter(procedure__procedure_id=procedure_id)
    assert mine.count() > 0
    make_ready(mine, reviewer)

    with django_capture_on_commit_callbacks(execute=True):  # the file appears on commit
        report = export_csv(procedure_id, tmp_path / "out", capsys)
    assert report["held_back"] == []
    [exported_file] = report["files"]
    rows = read_rows(exported_file)

    columns = Procedure.objects.filter(procedure_id=procedure_id).last().export_columns
    forms = signed_forms(trusted.packages)
    assert {row["受付番号"] for row in rows} == set(mine.values_list("receipt_number", flat=True))
    for row in rows:
        signed = forms[row["受付番号"]]
        for column in columns:
            if column["source"].startswith("form."):
                assert row[column["header"]] == signed.get(column["source"][5:], "")
        resident = Application.objects.get(receipt_number=row["受付番号"]).resident
        assert row["宛名番号"] == resident.atena_number
    # Sent, not yet taken in: the core system's result file settles each record.
    assert set(mine.values_list("status", flat=True)) == {Status.READY_FOR_HANDOFF}
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    result = "受付番号,結果,基幹システム番号,エラー内容\r\n" + "".join(
        f"{row['受付番号']},OK,JT{n:06d},\r\n" for n, row in enumerate(rows)
    )
    outcome = import_results(result.encode("cp932"), "result.csv", "jidou_teate")
    assert sorted(outcome.acknowledged) == sorted(row["受付番号"] for row in rows)
    assert set(mine.values_list("status", flat=True)) == {Status.HANDED_OFF}


def test_the_portal_refuses_a_wrong_secret(portal_url, tmp_path):
    client = PortalClient(portal_url, "madoguchi-demo", "wrong")
    with pytest.raises(PortalError, match="401"):
        list(client.list_applications())
    result = pull_once(client, worker_spool(tmp_path / "spool", b"k"))
    assert (result.fetched, result.complete) == (0, False)


def test_intake_import_json_reports_one_outcome_per_package(trusted, tmp_path, capsys):
    drop = tmp_path / "drop"
    drop.mkdir()
    good = trusted.packages[:3]
    for path in good:
        (drop / path.name).write_bytes(path.read_bytes())
    (drop / "broken.zip").write_bytes(b"not a zip at all")
    call_command("intake", "import", str(drop / good[0].name), str(drop), "--json")
    results = json.loads(capsys.readouterr().out)["results"]
    outcomes = sorted((r["file"], r["outcome"], r["reason"]) for r in results)
    assert ("broken.zip", "quarantined", "not_a_zip") in outcomes
    assert outcomes.count((good[0].name, "duplicate", None)) == 1
    assert [o for o in outcomes if o[1] == "accepted"] == sorted(
        (p.name, "accepted", None) for p in good
    )


def test_a_character_cp932_cannot_hold_is_held_back_not_replaced(
    trusted, tmp_path, reviewer, capsys
):
    """𠮷 (outside CP932) as the applicant signed it: held back with its field, never replaced."""
    form = {"applicant_name": "𠮷田　花子", "applicant_kana": "ヨシダ　ハナコ"}
    import_package(build(trusted.ca, spec("2026112600000301", form=form)), "y.zip")
    application = Application.objects.get()
    make_ready([application], reviewer)
    call_command(
        "export",
        "batch",
        "--procedure",
        "jidou-teate-nintei",
        "--format",
        "csv-cp932",
        "--out",
        str(tmp_path),
        "--json",
    )
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == []
    assert report["held_back"] == [
        {
            "receipt_number": "2026112600000301",
            "column": "請求者氏名",
            "value": "𠮷田　花子",
            "reason": "「𠮷」(U+20BB7)は出力先の文字コードで表せません",
        }
    ]
    application.refresh_from_db()
    assert application.status == Status.READY_FOR_HANDOFF


def test_the_worker_keeps_the_crl_fresh_from_the_distribution_point(
    catalog, portal_data, sim_url, settings
):
    add_trust_anchor((portal_data.root / "trust" / "ca.pem").read_bytes())
    settings.CRL_SOURCES = [f"{sim_url}/crl/ca.crl"]
    refresh_crls()
    assert RevocationList.objects.count() == 1


def test_fixed_length_records_hold_exactly_what_was_signed(
    trusted, tmp_path, reviewer, capsys, django_capture_on_commit_callbacks
):
    spool = Spool(tmp_path / "spool", b"k")
    for path in trusted.packages:
        spool.put(path.stem, path.read_bytes())
    drain(spool)
    mine = Application.objects.filter(procedure__procedure_id="jidou-teate-nintei")
    make_ready(mine, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "export",
            "batch",
            "--procedure",
            "jidou-teate-nintei",
            "--format",
            "fixed",
            "--out",
            str(tmp_path / "out"),
            "--json",
        )
    report = json.loads(capsys.readouterr().out)
    held = {h["receipt_number"] for h in report["held_back"]}
    for h in report["held_back"]:  # only for a character CP932 cannot hold
        with pytest.raises(UnicodeEncodeError):
            h["value"].encode("cp932")
    [path] = report["files"]
    procedure = mine.first().procedure
    widths = [fixed_width(procedure, c["source"]) for c in procedure.export_columns]
    records = Path(path).read_bytes().split(b"\r\n")[:-1]
    assert len(records) == mine.count() - len(held)
    forms = signed_forms(trusted.packages)
    for record in records:
        assert len(record) == sum(widths)
        values, offset = [], 0
        for width in widths:
            values.append(record[offset : offset + width].decode("cp932").rstrip(" "))
            offset += width
        signed = forms[values[0]]
        for column, value in zip(procedure.export_columns, values, strict=True):
            if column["source"].startswith("form."):
                assert value == signed.get(column["source"][5:], "")
