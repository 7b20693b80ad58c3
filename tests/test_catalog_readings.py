"""Catalog versions read against the forms municipalities publish (2026.3 of the 介護 and
保育 entries): the items they added, and each condition that decides when one is asked."""

from __future__ import annotations

import pytest

from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import validate_form
from tests.factories import complete_form
from tests.test_my_number_fields import APPLICANT, CHILD, SPOUSE

pytestmark = pytest.mark.django_db


def test_the_cost_limit_form_asks_the_spouse_and_the_facility_only_when_they_apply(
    catalog: None,
) -> None:
    """介護保険負担限度額認定, read against municipalities' published forms (2026.3) and the
    ministry's (2026.4: 「その他」 with cash, debts apart, the 非課税年金's insurer)."""
    procedure = Procedure.current(["kaigo-futangendo"])["kaigo-futangendo"]
    assert procedure.version == "2026.4"
    form = complete_form("kaigo-futangendo", applicant_my_number=APPLICANT, spouse="あり")
    form["spouse_my_number"] = SPOUSE
    assert validate_form(procedure.fields, form) == {}
    alone = {k: v for k, v in form.items() if not k.startswith("spouse_")} | {"spouse": "なし"}
    assert validate_form(procedure.fields, alone) == {}
    short_stay = {k: v for k, v in alone.items() if not k.startswith(("facility_", "admission"))}
    assert validate_form(procedure.fields, short_stay | {"stay_kind": "ショートステイを利用"}) == {}
    assert set(validate_form(procedure.fields, short_stay)) == {
        "facility_name",
        "facility_address",
        "admission_date",
    }
    married = {k: v for k, v in form.items() if k != "spouse_my_number"}
    assert validate_form(procedure.fields, married) == {
        "spouse_my_number": ["必須項目が入力されていません"]
    }
    widowed = {k: v for k, v in form.items() if k != "pension_insurer"}
    assert set(validate_form(procedure.fields, widowed | {"nontaxable_pension": "遺族年金"})) == {
        "pension_insurer"
    }
    labels = {f["id"]: f["label"] for f in procedure.fields}
    assert "現金を含む" in labels["savings_other"] and "負債" in labels["debts"]


def test_a_public_servants_claim_is_flagged_and_a_child_apart_needs_the_declaration(
    trusted,
) -> None:
    """児童手当 2026.5: a 公務員 is answered with the reason (their employer pays: 児童手当法
    第17条), never refused at intake; a child living apart gives an address, and the
    別居監護申立書 is then required."""
    from madoguchi.applications.models import Application
    from madoguchi.intake.actions import import_package
    from madoguchi.intake.constants import Outcome
    from madoguchi.procedures.schema import ATTACHMENTS_KEY
    from pittari_sim.generate import tiny_pdf
    from tests.builders import build, spec

    procedure = Procedure.current(["jidou-teate-nintei"])["jidou-teate-nintei"]
    assert procedure.version == "2026.5"
    form = complete_form("jidou-teate-nintei", applicant_my_number=APPLICANT) | {
        "children.1.my_number": CHILD
    }
    assert validate_form(procedure.fields, form) == {}
    servant = validate_form(procedure.fields, form | {"public_servant": "当たる"})
    assert servant == {
        "public_servant": [
            "公務員の方の児童手当は、市区町村ではなく勤務先(所属庁)に請求してください"
            "(児童手当法 第17条)"
        ]
    }
    apart = {k: v for k, v in form.items() if k != "children.1.address"}
    apart["children.1.living"] = "別居"
    assert set(validate_form(procedure.fields, apart)) == {"children.1.address"}

    def filed(receipt: str, attachments: list) -> Application:
        package = build(
            trusted.ca,
            spec(receipt, procedure_version="2026.5", form=form | apart, attachments=attachments),
        )
        assert import_package(package, f"{receipt}.zip").outcome == Outcome.ACCEPTED
        return Application.objects.get(receipt_number=receipt)

    missing = filed("2026112600003001", [])
    assert missing.form_errors[ATTACHMENTS_KEY] == ["「別居監護申立書」が添付されていません"]
    given = filed("2026112600003002", [("bekkyo.pdf", "application/pdf", tiny_pdf("b"))])
    assert ATTACHMENTS_KEY not in given.form_errors


def test_the_nursery_application_asks_both_parents_and_the_household(catalog: None) -> None:
    """保育施設等の利用申込 2026.3: each parent's number and reason, a single parent's alone."""
    procedure = Procedure.current(["hoiku-moshikomi"])["hoiku-moshikomi"]
    assert procedure.version == "2026.3"
    form = complete_form(
        "hoiku-moshikomi",
        applicant_my_number=APPLICANT,
        guardian2_my_number=SPOUSE,
        child_my_number=CHILD,
        applicant_hours="160",
        guardian2_hours="120",
    )
    assert validate_form(procedure.fields, form) == {}
    single = {k: v for k, v in form.items() if not k.startswith("guardian2_")}
    assert validate_form(procedure.fields, single | {"guardian2": "なし(ひとり親)"}) == {}
    assert set(validate_form(procedure.fields, single)) == {
        "guardian2_name",
        "guardian2_kana",
        "guardian2_birth_date",
        "guardian2_relationship",
        "guardian2_my_number",
        "guardian2_reason",
    }
    no_hours = {k: v for k, v in form.items() if k != "applicant_hours"}
    assert set(validate_form(procedure.fields, no_hours)) == {"applicant_hours"}
    no_household = {k: v for k, v in form.items() if not k.startswith("household.")}
    assert validate_form(procedure.fields, no_household) == {}
    assert len([c for c in procedure.export_columns if c["source"].endswith("my_number")]) == 3


# Every other case left as the one that asks nothing more (the vendor paid directly).
NOTHING_MORE = {
    "kaigo-fukushiyogu": {"payment": "受領委任払い(事業者が受領)"},
    "kaigo-jutakukaishu": {"payment": "受領委任払い(事業者が受領)"},
    # A reason other than 就労: no hours asked.
    "hoiku-genkyo": {"applicant_reason": "妊娠・出産", "guardian2_reason": "妊娠・出産"},
    "kodomo-shikyu-nintei": {"applicant_reason": "妊娠・出産", "guardian2_reason": "妊娠・出産"},
}


@pytest.mark.parametrize(
    ("procedure_id", "choice", "asked"),
    [
        # 受領委任払い: the vendor is paid, so no account of the applicant's.
        ("kaigo-fukushiyogu", {"payment": "受領委任払い(事業者が受領)"}, set()),
        (
            "kaigo-fukushiyogu",
            {"payment": "償還払い(口座に振込)"},
            {"bank_code", "branch_code", "account_type", "account_number", "account_holder_kana"},
        ),
        ("kaigo-fukushiyogu", {"bought_before": "購入している"}, {"rebuy_reason"}),
        ("kaigo-jutakukaishu", {"stage": "事前申請(着工前)"}, set()),
        (
            "kaigo-jutakukaishu",
            {"stage": "工事後の申請(支給申請)"},
            {"construction_start", "construction_date"},
        ),
        ("kaigo-jutakukaishu", {"owner": "本人以外(家主など)"}, {"owner_name"}),
        ("kaigo-kyotaku-keikaku", {"request_kind": "変更"}, {"previous_office", "change_date"}),
        ("kaigo-kyotaku-keikaku", {"request_kind": "新規"}, set()),
        (
            "kaigo-kogaku",
            {"applicant_kind": "相続人"},
            {"filer_name", "filer_relationship", "filer_phone"},
        ),
        ("kaigo-kogaku", {"applicant_kind": "被保険者本人"}, set()),
        ("risai-shomei", {"relation": "その他の代理人"}, {"victim_name"}),
        ("risai-shomei", {"relation": "被災者本人(世帯主)"}, set()),
        # 1号認定 (教育) needs no reason for 保育; 2号・3号 do (guardian2 left as あり).
        (
            "kodomo-shikyu-nintei",
            {"nintei_kubun": "1号認定", "guardian2": "なし(ひとり親)"},
            set(),
        ),
        (
            "kodomo-shikyu-nintei",
            {"nintei_kubun": "2号認定", "guardian2": "なし(ひとり親)"},
            {"applicant_reason", "hoiku_need"},
        ),
        (
            "hoiku-genkyo",
            {"guardian2": "あり"},
            {
                "guardian2_name",
                "guardian2_kana",
                "guardian2_birth_date",
                "guardian2_relationship",
                "guardian2_reason",
            },
        ),
        ("hoiku-genkyo", {"guardian2": "なし(ひとり親)"}, set()),
    ],
)
def test_a_conditional_item_is_asked_only_when_its_case_applies(
    catalog: None, procedure_id: str, choice: dict[str, str], asked: set[str]
) -> None:
    procedure = Procedure.current([procedure_id])[procedure_id]
    assert procedure.version == "2026.3"
    conditional = {
        f["id"] for f in procedure.fields if f.get("required_when") and not f.get("required")
    }
    number = (
        {"applicant_my_number": APPLICANT} if procedure.field_for("applicant.my_number") else {}
    )
    form = complete_form(procedure_id, **number) | NOTHING_MORE.get(procedure_id, {}) | choice
    bare = {k: v for k, v in form.items() if k not in conditional}
    assert set(validate_form(procedure.fields, bare)) == asked
