"""Every catalog entry: loads, renders its page, and round-trips a simulated application."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import sign_in
from madoguchi.applications.models import Application
from madoguchi.intake.actions import add_trust_anchor, import_package, load_crl
from madoguchi.intake.constants import Outcome
from madoguchi.procedures.models import Procedure
from madoguchi.residents.actions import load_links
from madoguchi.vocabulary import Role
from pittari_sim.forms import load_procedures
from pittari_sim.generate import generate, load_or_create_ca
from tests.builders import build, export_csv, make_ready, read_rows, spec

pytestmark = pytest.mark.django_db
LATEST = load_procedures()


def test_the_catalog_holds_the_26_procedures_and_the_two_more():
    kosodate = [
        p for p in LATEST.values() if p["department"]["code"] in {"kosodate", "hoiku", "kenko"}
    ]
    kaigo = [p for p in LATEST.values() if p["department"]["code"] == "kaigo"]
    assert (len(kosodate), len(kaigo)) == (15, 11)
    assert {"risai-shomei", "tenshutsu-tennyu-yoyaku"} <= set(LATEST)


@pytest.mark.parametrize("procedure_id", sorted(LATEST))
def test_an_entry_renders_and_round_trips(
    procedure_id,
    catalog,
    tmp_path: Path,
    client,
    administrator,
    make_staff,
    new_portal,
    capsys,
    django_capture_on_commit_callbacks,
):
    version = LATEST[procedure_id]["version"]
    # Deciding is the department's (the administrator configures and audits).
    manager = make_staff("kacho", Role.MANAGER, LATEST[procedure_id]["department"]["code"])
    sign_in(client, administrator)
    page = client.get(f"/procedures/{procedure_id}/{version}/").content.decode()
    assert LATEST[procedure_id]["name"] in page
    assert "madoguchi が自動で実施" in page

    portal = new_portal("portal")
    [generated] = generate(portal, 1, seed=1, procedure_id=procedure_id, unlinked_rate=0.0)
    ca = load_or_create_ca(portal)
    add_trust_anchor(ca.cert_pem())
    load_crl(ca.crl([], number=1))
    load_links(portal / "registry" / "links.csv")
    assert import_package(generated.path.read_bytes(), "a.zip").outcome == Outcome.ACCEPTED
    application = Application.objects.get()
    assert application.procedure.version == version
    assert application.form_errors == {}

    make_ready([application], manager)
    with django_capture_on_commit_callbacks(execute=True):
        [path] = export_csv(procedure_id, tmp_path / "out", capsys)["files"]
    [row] = read_rows(path)
    for column in application.procedure.export_columns:
        if column["source"].startswith("form."):
            assert row[column["header"]] == generated.form.get(column["source"][5:], "")


def test_an_old_version_keeps_its_own_form_validation_and_layout(
    trusted, tmp_path: Path, kaigo_reviewer, capsys, django_capture_on_commit_callbacks
):
    """要介護認定 2026.1 had 申請区分 and 2026.2 dropped it: what was filed on 2026.1 keeps it."""
    old_form = {
        "insured_number": "1234567890",
        "applicant_name": "山田　花子",
        "applicant_kana": "ヤマダ　ハナコ",
        "applicant_birth_date": "1940-01-01",
        "applicant_postal_code": "100-0001",
        "applicant_address": "東京都千代田区千代田1番1号",
        "applicant_phone": "03-1234-5678",
        "application_kind": "更新",
        "doctor_name": "田中 健",
        "clinic_name": "千代田クリニック",
    }
    data = build(
        trusted.ca,
        spec(
            "2026112600000601",
            procedure_id="kaigo-nintei",
            procedure_version="2026.1",
            form=old_form,
            attachments=[],
        ),
    )
    import_package(data, "old.zip")
    application = Application.objects.get(receipt_number="2026112600000601")
    assert application.procedure.version == "2026.1"
    assert application.form_errors == {}
    assert Procedure.objects.filter(procedure_id="kaigo-nintei", version="2026.2").exists()

    make_ready([application], kaigo_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        files = export_csv("kaigo-nintei", tmp_path, capsys)["files"]
    assert [Path(f).name.split("_")[1] for f in files] == ["2026.1"]
    [row] = read_rows(files[0])
    assert row["申請区分"] == "更新"


def test_a_missing_required_attachment_flags_but_keeps_the_application(trusted):
    package = build(
        trusted.ca,
        spec(
            "2026112600000701",
            procedure_id="kaigo-fukushiyogu",
            procedure_version="2026.2",
            attachments=[],
        ),
    )
    assert import_package(package, "a.zip").outcome == Outcome.ACCEPTED
    application = Application.objects.get(receipt_number="2026112600000701")
    assert application.form_errors["_attachments"] == ["「領収書」が添付されていません"]
