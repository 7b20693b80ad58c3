"""個人番号 as a form field (catalog type "my_number"): checked by its check digit, kept only
encrypted (the form, the 補正 answers and the signed packages that carry it), masked on every
screen and CSV for people, revealed to a reviewer with an audit record, and handed to the
core systems in clear. Inputs are built from the catalog and the 施行規則, not the simulator."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from conftest import sign_in
from madoguchi.applications.actions.filing import file_application
from madoguchi.applications.actions.retention import purge
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application, CorrectionReply, Evidence
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.intake.models import QuarantinedPackage
from madoguchi.lib.mynumber import MASKED
from madoguchi.linking.models import Delivery
from madoguchi.procedures.catalog import BUILTIN_DIR, load_catalog
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import CatalogError, validate_form
from madoguchi.residents import crypto
from madoguchi.residents.actions import load_links, rotate_keys
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import Channel, Identification, Status
from tests.builders import build, cp932_rows, make_ready, pulled_items, spec
from tests.test_groups import children_form
from tests.test_identification import ROW, write_csv
from tests.test_letters import pdftotext

pytestmark = pytest.mark.django_db

# Valid numbers, their check digits worked out by hand from 施行規則 第1条 (weights 2–7 for
# the 1st–6th digit from the right, 2–6 for the 7th–11th; 11 − the remainder mod 11):
APPLICANT = "123456789018"  # 212 mod 11 = 3 → 8; the registry's number of ROW
SPOUSE = "234567890121"  # 219 mod 11 = 10 → 1
CHILD = "345678901234"  # 216 mod 11 = 7 → 4
NUMBERS = (APPLICANT, SPOUSE, CHILD)
KEYS = ["applicant_my_number", "children.1.my_number", "spouse_my_number"]
CARD = {
    "name": ROW["name"],
    "birth_date": dt.date(1990, 1, 1),
    "sex": "2",
    "address": ROW["address"],
    "serial": 0xABC123,
}


def nintei_form(**changes: str) -> dict[str, str]:
    form = children_form() | {
        "applicant_name": ROW["name"],
        "applicant_kana": ROW["name_kana"],
        "applicant_birth_date": ROW["birth_date"],
        "applicant_address": ROW["address"],
        "applicant_my_number": APPLICANT,
        "spouse": "あり",
        "spouse_name": "髙橋　太郎",
        "spouse_kana": "タカハシ　タロウ",
        "spouse_birth_date": "1988-05-05",
        "spouse_my_number": SPOUSE,
        "children.1.my_number": CHILD,
    }
    return form | changes


def receive(trusted, tmp_path: Path, receipt: str, **changes: str) -> tuple[Application, bytes]:
    load_links(write_csv(tmp_path, ROW), delta=True)
    package = build(
        trusted.ca,
        spec(receipt, procedure_version="2026.4", form=nintei_form(**changes), attachments=[]),
        cert_kwargs=CARD,
    )
    assert import_package(package, f"{receipt}.zip").outcome == "accepted"
    return Application.objects.get(receipt_number=receipt), package


def stored_in_clear(number: str) -> list[str]:
    """Every table and column that holds the number as it is written (text or bytes)."""
    found = []
    for model in apps.get_models():
        for row in model._default_manager.values():
            for column, value in row.items():
                if isinstance(value, bytes | memoryview):
                    hit = number.encode() in bytes(value)
                else:
                    hit = number in json.dumps(value, ensure_ascii=False, default=str)
                if hit:
                    found.append(f"{model._meta.label}.{column}")
    return found


def test_the_number_is_checked_by_its_check_digit_and_kept_only_encrypted(
    trusted, tmp_path
) -> None:
    application, package = receive(trusted, tmp_path, "2026120100000401")
    assert application.identification == Identification.IDENTIFIED
    assert application.form_errors == {}
    assert [k for k, v in sorted(application.form.items()) if v == MASKED] == KEYS
    assert {application.form_with_my_numbers()[k] for k in KEYS} == set(NUMBERS)
    evidence = Evidence.objects.get(application=application)
    # The package (compressed, so a search of its bytes would prove nothing) is kept only
    # under the keys, and comes back byte for byte.
    assert bytes(evidence.package) == b"" and evidence.package_bytes == package
    for number in NUMBERS[1:]:  # the applicant's is also the registry's, encrypted there
        assert stored_in_clear(number) == []
    assert stored_in_clear(APPLICANT) == []

    wrong, _ = receive(trusted, tmp_path, "2026120100000402", applicant_my_number="123456789017")
    # Stored with its problem, as the applicant signed it; a mistyped number is still sealed.
    assert wrong.form_errors == {
        "applicant_my_number": ["個人番号が正しくありません。番号を確かめてください"]
    }
    assert wrong.form["applicant_my_number"] == MASKED
    assert stored_in_clear("123456789017") == []


def test_screens_mask_it_and_a_reviewer_reveals_it_with_an_audit_record(
    trusted, tmp_path, client, reviewer, counter_clerk
) -> None:
    application, _ = receive(trusted, tmp_path, "2026120100000403")
    url = f"/applications/{application.receipt_number}/"
    sign_in(client, counter_clerk)
    page = client.get(url).content.decode()
    assert MASKED in page and not any(n in page for n in NUMBERS)
    assert 'data-testid="reveal-form-my-numbers"' not in page
    assert client.post(url + "my-number/", {"source": "form"}).status_code == 403
    printed = tmp_path / "print.pdf"
    printed.write_bytes(client.get(url + "print.pdf").content)
    assert not any(n in pdftotext(printed) for n in NUMBERS)

    sign_in(client, reviewer)
    page = client.get(url).content.decode()
    # 番号確認 without a reveal: the form's number is the registry's.
    assert "住民記録の個人番号と一致しています" in page
    assert not any(n in page for n in NUMBERS)
    shown = client.post(url + "my-number/", {"source": "form"}).content.decode()
    assert all(n in shown for n in NUMBERS)
    viewed = AuditEvent.objects.get(action=AuditAction.MY_NUMBER_VIEWED)
    assert viewed.actor == reviewer and viewed.target_id == application.receipt_number
    assert viewed.extra["items"] == KEYS and not any(n in json.dumps(viewed.extra) for n in NUMBERS)

    resident = Resident.objects.get(atena_number=ROW["atena_number"])
    resident.my_number_encrypted = crypto.encrypt(SPOUSE)  # the registry says otherwise
    resident.save()
    page = client.get(url).content.decode()
    assert "住民記録の個人番号と一致しません" in page


def test_transcription_and_downloads_mask_it_and_the_core_systems_get_it(
    trusted,
    tmp_path,
    client,
    reviewer,
    counter_clerk,
    configure,
    capsys,
    django_capture_on_commit_callbacks,
) -> None:
    application, _ = receive(trusted, tmp_path, "2026120100000404")
    make_ready([application], reviewer)
    base = f"/linking/{application.receipt_number}/"

    sign_in(client, counter_clerk)
    page = client.get(base).content.decode()
    assert 'data-header="個人番号"' in page and APPLICANT not in page
    assert client.post(base, {"reveal": "my_number"}).status_code == 403
    assert APPLICANT not in client.get(base + "record.json").content.decode()

    sign_in(client, reviewer)
    assert APPLICANT in client.post(base, {"reveal": "my_number"}).content.decode()
    csv_text = client.get(base + "record.csv").content.decode("utf-8-sig")
    assert APPLICANT not in csv_text and MASKED in csv_text  # people open it in a spreadsheet
    record = json.loads(client.get(base + "record.json").content)
    assert {i["header"]: i["value"] for i in record["items"]}["個人番号"] == APPLICANT
    purposes = AuditEvent.objects.filter(action=AuditAction.MY_NUMBER_VIEWED).values_list(
        "extra__purpose", flat=True
    )
    assert sorted(purposes) == [
        f"record.json:{application.receipt_number}",
        f"transcription:{application.receipt_number}",
    ]

    pulled = pulled_items(client, configure, capsys, application.receipt_number)
    assert pulled["form.applicant_my_number"] == APPLICANT
    fetched = AuditEvent.objects.get(action=AuditAction.HANDOFF_RECORD_FETCHED)
    assert fetched.extra["my_number_items"] == ["applicant_my_number"]  # what was provided

    Delivery.objects.update(method="batch", state="pending")
    rows = cp932_rows(
        "jidou-teate-nintei", tmp_path / "out", capsys, django_capture_on_commit_callbacks
    )
    assert [r["個人番号"] for r in rows] == [APPLICANT]
    exported = AuditEvent.objects.get(action=AuditAction.APPLICATIONS_EXPORTED)
    assert exported.extra["my_number_columns"] == ["個人番号"]


def test_a_correction_answer_replaces_the_number_and_is_kept_encrypted(
    trusted, tmp_path, reviewer
) -> None:
    application, _ = receive(trusted, tmp_path, "2026120100000405", spouse_my_number=CHILD)
    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(
        application.pk, Status.CORRECTION_REQUESTED, actor=reviewer, reason="配偶者の個人番号"
    )
    answer = build(
        trusted.ca,
        spec(
            "2026120100000406",
            procedure_version="2026.4",
            form=nintei_form(),
            attachments=[],
            correction_of=application.receipt_number,
        ),
        cert_kwargs=CARD,
    )
    import_package(answer, "answer.zip")
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW
    assert application.form_with_my_numbers()["spouse_my_number"] == SPOUSE
    reply = CorrectionReply.objects.get()
    assert reply.form["spouse_my_number"] == MASKED and bytes(reply.package) == b""
    # The 補正 shows that the number changed, without showing either.
    assert reply.changes == [("spouse_my_number", MASKED, MASKED)]
    assert reply.package_bytes == answer
    assert stored_in_clear(SPOUSE) == [] and stored_in_clear(CHILD) == []


def test_at_the_counter_it_is_checked_and_sealed_like_an_online_one(
    catalog: None, kaigo_clerk
) -> None:
    resident = Resident.objects.create(
        resident_code="12345678909",
        atena_number="3000000003",
        name="窓口　花子",
        name_kana="マドグチ　ハナコ",
        birth_date=dt.date(1950, 1, 1),
        sex="2",
        address="東京都千代田区千代田1-1",
    )
    from tests.factories import complete_form

    procedure = Procedure.current(["kaigo-nintei"])["kaigo-nintei"]
    with pytest.raises(ValidationError) as refused:
        file_application(
            procedure,
            resident,
            complete_form("kaigo-nintei", applicant_my_number="1234-5678-9018"),
            actor=kaigo_clerk,
            channel=Channel.COUNTER,
        )
    assert refused.value.message_dict == {
        "applicant_my_number": ["個人番号は半角数字12桁で入力してください"]
    }
    filed = file_application(
        procedure,
        resident,
        complete_form("kaigo-nintei", applicant_my_number=APPLICANT),
        actor=kaigo_clerk,
        channel=Channel.COUNTER,
    )
    assert filed.form["applicant_my_number"] == MASKED
    assert filed.form_with_my_numbers()["applicant_my_number"] == APPLICANT
    assert stored_in_clear(APPLICANT) == []


def test_rotating_the_keys_rekeys_forms_packages_and_quarantine_and_purge_forgets(
    trusted, tmp_path, settings
) -> None:
    application, package = receive(trusted, tmp_path, "2026120100000407")
    import_package(b"not a zip", "bad.zip")
    # The registry's numbers, then the form, its package and the quarantined package.
    sealed_values = Resident.objects.exclude(my_number_encrypted=None).count() + 3
    new_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    settings.MY_NUMBER_KEYS = [new_key, *settings.MY_NUMBER_KEYS]
    assert rotate_keys() == sealed_values
    settings.MY_NUMBER_KEYS = [new_key]  # the old key dropped: everything still opens
    application.refresh_from_db()
    assert application.form_with_my_numbers()["applicant_my_number"] == APPLICANT
    assert Evidence.objects.get(application=application).package_bytes == package
    assert QuarantinedPackage.objects.get().package_bytes == b"not a zip"

    purge(application.pk, None, retention_years=5)
    application.refresh_from_db()
    evidence = Evidence.objects.get(application=application)
    assert application.form_secrets is None and evidence.package_sealed is None


def test_the_catalog_refuses_a_number_as_a_duplicate_key(tmp_path: Path) -> None:
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.4.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        source.replace(
            "duplicate_window_days = 365",
            'duplicate_window_days = 365\nduplicate_key = ["applicant_my_number"]',
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="個人番号の項目は duplicate_key にできません"):
        load_catalog([bad])


def test_the_simulators_applications_carry_the_registrys_number(trusted, client, reviewer):
    """pittari-sim writes the resident's own number (from its 住基 export) on the form."""
    for generated in trusted.generated:
        if generated.procedure_id == "jidou-teate-nintei":
            import_package(generated.path.read_bytes(), generated.path.name)
    identified = Application.objects.filter(identification=Identification.IDENTIFIED)
    assert identified
    sign_in(client, reviewer)
    for application in identified:
        assert (
            application.procedure == Procedure.current(["jidou-teate-nintei"])["jidou-teate-nintei"]
        )
        assert application.form["applicant_my_number"] == MASKED
        page = client.get(f"/applications/{application.receipt_number}/").content.decode()
        assert "住民記録の個人番号と一致しています" in page


def test_a_childs_number_is_asked_only_of_a_child_living_apart(catalog: None) -> None:
    fields = Procedure.objects.get(procedure_id="jidou-teate-nintei", version="2026.4").fields
    form = nintei_form()
    assert form["children.1.living"] == "別居" and validate_form(fields, form) == {}
    del form["children.1.my_number"]
    assert validate_form(fields, form) == {"children.1.my_number": ["必須項目が入力されていません"]}
    assert "children.2.my_number" not in form  # living together: not asked


def test_the_api_masks_the_form_and_reveals_it_to_reviewers_with_an_audit_record(
    trusted, tmp_path, client, reviewer, counter_clerk
) -> None:
    from tests.test_api import call

    application, _ = receive(trusted, tmp_path, "2026120100000408")
    base = f"applications/{application.receipt_number}"
    detail = call(client, reviewer, "get", base).json()
    assert detail["form"]["applicant_my_number"] == MASKED
    assert not any(n in json.dumps(detail) for n in NUMBERS)
    assert call(client, counter_clerk, "post", f"{base}/form-my-numbers").status_code == 403
    answer = call(client, reviewer, "post", f"{base}/form-my-numbers").json()
    assert answer["items"] == dict(zip(KEYS, (APPLICANT, CHILD, SPOUSE), strict=True))
    event = AuditEvent.objects.get(action=AuditAction.MY_NUMBER_VIEWED)
    assert event.actor == reviewer and event.extra["purpose"].startswith("api:")
