"""Repeating groups and conditional fields: the 2024 児童手当 reform's 認定請求 with several
children, validated entry by entry and carried child for child through every 方式."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from madoguchi.lib.wareki import iso_to_wareki
from madoguchi.linking.models import Delivery
from madoguchi.linking.plugins import core_system
from madoguchi.linking.records import HeldBack, RecordSource
from madoguchi.procedures.catalog import BUILTIN_DIR, load_catalog
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import CatalogError, validate_form
from tests.builders import build, cp932_rows, make_ready, pull_record, pulled_items, spec
from tests.test_letters import pdftotext, squeezed

pytestmark = pytest.mark.django_db

APPLICANT = {
    "applicant_name": "山田　花子",
    "applicant_kana": "ヤマダ　ハナコ",
    "applicant_birth_date": "1985-04-01",
    "applicant_postal_code": "100-0001",
    "applicant_address": "東京都千代田区千代田1番1号",
    "applicant_phone": "03-1234-5678",
    "pension": "厚生年金",
    "spouse": "なし",
    "payee": "公金受取口座を利用する",
}
CHILDREN = [
    # The eldest is 19: past 18歳年度末, counted for 多子加算 with 監護相当・生計費の負担.
    ("山田　一郎", "ヤマダ　イチロウ", "2007-06-01", "子", "別居", "あり"),
    ("山田　髙子", "ヤマダ　タカコ", "2012-09-15", "子", "同居", ""),
    ("山田　三郎", "ヤマダ　サブロウ", "2020-01-20", "子", "同居", ""),
]
SUBS = ("name", "kana", "birth_date", "relationship", "living", "over_18_support")


def children_form(children=CHILDREN) -> dict[str, str]:
    form = dict(APPLICANT)
    for n, child in enumerate(children, start=1):
        for sub, value in zip(SUBS, child, strict=True):
            if value:
                form[f"children.{n}.{sub}"] = value
    return form


def reform_version(catalog: None) -> Procedure:
    return Procedure.objects.get(procedure_id="jidou-teate-nintei", version="2026.3")


def test_a_group_is_validated_entry_by_entry_within_its_bounds(catalog: None) -> None:
    fields = reform_version(catalog).fields
    assert validate_form(fields, children_form()) == {}
    bad = children_form() | {"children.2.kana": "よしこ", "children.3.birth_date": "2020-02-30"}
    assert set(validate_form(fields, bad)) == {"children.2.kana", "children.3.birth_date"}
    gap = {k: v for k, v in children_form().items() if not k.startswith("children.2.")}
    assert validate_form(fields, gap)["children"] == ["番号が1から連続していません"]
    none = {k: v for k, v in children_form().items() if not k.startswith("children.")}
    assert validate_form(fields, none)["children"] == ["少なくとも 1 件入力してください"]
    eleven = children_form([CHILDREN[2]] * 11)
    assert validate_form(fields, eleven)["children"] == ["10 件までです"]
    stray = children_form() | {"children.1.nickname": "いっちゃん"}
    assert validate_form(fields, stray) == {
        "children.1.nickname": ["申請書に定義されていない項目です"]
    }
    missing = {k: v for k, v in children_form().items() if k != "children.3.living"}
    assert validate_form(fields, missing) == {"children.3.living": ["必須項目が入力されていません"]}


def test_a_conditional_field_is_required_only_when_its_condition_holds(catalog: None) -> None:
    fields = reform_version(catalog).fields
    married = children_form() | {"spouse": "あり"}
    assert set(validate_form(fields, married)) == {
        "spouse_name",
        "spouse_kana",
        "spouse_birth_date",
    }
    account = children_form() | {"payee": "下記の口座"}
    assert {"bank_code", "account_number"} <= set(validate_form(fields, account))
    assert validate_form(fields, children_form()) == {}  # 公金受取口座: no account needed


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda s: s.replace("max_entries = 10", "max_entries = 0"), "min_entries"),
        (
            lambda s: s.replace('field = "spouse", equals', 'field = "nothing", equals'),
            "required_when",
        ),
        (lambda s: s.replace("form.children.4.name", "form.children.11.name"), "繰り返しの範囲外"),
    ],
)
def test_a_wrong_group_or_condition_in_the_catalog_is_named(tmp_path: Path, edit, named) -> None:
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.3.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(edit(source), encoding="utf-8")
    with pytest.raises(CatalogError, match=named):
        load_catalog([bad])


def three_children(trusted, reviewer) -> Application:
    package = build(
        trusted.ca,
        spec("2026120100000301", procedure_version="2026.3", form=children_form(), attachments=[]),
    )
    assert import_package(package, "three.zip").outcome == "accepted"
    application = Application.objects.get(receipt_number="2026120100000301")
    assert application.form_errors == {}
    return application


def test_three_children_arrive_child_for_child_in_every_method(
    trusted, reviewer, client, configure, capsys, tmp_path, django_capture_on_commit_callbacks
) -> None:
    application = three_children(trusted, reviewer)
    sign_in(client, reviewer)
    detail = client.get(f"/applications/{application.receipt_number}/").content.decode()
    table = detail[detail.index('data-testid="group-children"') :]
    for child in CHILDREN:
        assert child[0] in table and child[2] in table
    make_ready([application], reviewer)

    # 方式1 転記: every child's items, in the core system's order.
    page = client.get(f"/linking/{application.receipt_number}/").content.decode()
    for n, child in enumerate(CHILDREN, start=1):
        assert f'data-header="児童{n} 氏名"' in page and child[0] in page
    assert 'data-header="児童4 氏名"' in page  # the empty fourth slot is there, empty

    # 方式3 pull API.
    items = pulled_items(client, configure, capsys, application.receipt_number)
    for n, child in enumerate(CHILDREN, start=1):
        for sub, value in zip(SUBS, child, strict=True):
            assert items[f"form.children.{n}.{sub}"] == value

    # 方式4 a CP932 batch file.
    Delivery.objects.update(method="batch", state="pending")
    rows = cp932_rows(
        "jidou-teate-nintei", tmp_path / "out", capsys, django_capture_on_commit_callbacks
    )
    [row] = [r for r in rows if r["受付番号"] == application.receipt_number]
    for n, child in enumerate(CHILDREN, start=1):
        assert (
            row[f"児童{n} 氏名"] == child[0].replace("𠮷", "〓") or row[f"児童{n} 氏名"] == child[0]
        )
        assert row[f"児童{n} 生年月日"] == child[2]
        assert row[f"児童{n} 監護相当・生計費の負担"] == child[5]


def test_more_children_than_the_layout_has_slots_are_held_back_not_cut(
    trusted, reviewer, client, configure, capsys, tmp_path, django_capture_on_commit_callbacks
) -> None:
    five = children_form(CHILDREN + [CHILDREN[2], CHILDREN[2]])
    package = build(
        trusted.ca,
        spec("2026120100000305", procedure_version="2026.3", form=five, attachments=[]),
    )
    import_package(package, "five.zip")
    application = Application.objects.get(receipt_number="2026120100000305")
    assert application.form_errors == {}
    make_ready([application], reviewer)
    Delivery.objects.update(method="batch")
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "export", "batch", "--procedure", "jidou-teate-nintei", "--format", "fixed",
            "--out", str(tmp_path / "out"), "--json",
        )  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    held = [h for h in report["held_back"] if h["receipt_number"] == application.receipt_number]
    assert held and "5 件あり、連携の様式は 4 件まで" in held[0]["reason"]
    delivery = Delivery.objects.get(application=application)
    assert delivery.held_back and delivery.state == "pending"

    answer = pull_record(client, configure, capsys, application.receipt_number)
    assert answer.status_code == 409 and answer.json()["error"] == "held_back"


def test_every_form_of_an_overflowing_shape_is_held_back_whatever_came_before(catalog) -> None:
    """The slot count is remembered per set of form keys: a form of five children is held
    back after a form of three was not, and again after it, each with its own receipt number."""
    procedure = Procedure.objects.get(procedure_id="jidou-teate-nintei", version="2026.3")
    builder = core_system(procedure.core_system).records(procedure)
    five = children_form(CHILDREN + [CHILDREN[2], CHILDREN[2]])
    three = children_form(CHILDREN)
    now = timezone.now()
    answers = [
        builder.values(RecordSource(f"20261201000004{n:02d}", now, form, ""))
        for n, form in enumerate([three, five, three, five | {"applicant_name": "別人"}])
    ]
    assert [type(a) for a in answers] == [list, HeldBack, list, HeldBack]
    assert [a.receipt_number for a in answers if isinstance(a, HeldBack)] == [
        "2026120100000401",
        "2026120100000403",
    ]


def test_the_print_view_of_three_children_fits_a4_and_reads_back_whole(
    trusted, reviewer, client, tmp_path
) -> None:
    application = three_children(trusted, reviewer)
    sign_in(client, reviewer)
    printed = tmp_path / "print.pdf"
    printed.write_bytes(client.get(f"/applications/{application.receipt_number}/print.pdf").content)
    done = subprocess.run(["pdfinfo", str(printed)], capture_output=True, text=True, check=True)
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", done.stdout), done.stdout
    flat = squeezed(pdftotext(printed))
    for child in CHILDREN:
        for value in child:
            # Dates as the 決裁 file reads them: 和暦.
            shown = iso_to_wareki(value) if value[:4].isdigit() else value
            assert squeezed(shown) in flat, shown


def test_the_print_is_in_wareki_names_the_application_on_every_page_and_leaves_out_empty_entries(
    trusted, reviewer, client, tmp_path
) -> None:
    """The 決裁 print: every page's header carries the 受付番号 and the name; a group's entry
    with nothing written (a counter form's spare rows) is not printed; dates in 和暦."""
    application = three_children(trusted, reviewer)
    spare = {f"children.4.{sub}": "" for sub in SUBS}
    Application.objects.filter(pk=application.pk).update(form=application.form | spare)
    sign_in(client, reviewer)
    printed = tmp_path / "print.pdf"
    printed.write_bytes(client.get(f"/applications/{application.receipt_number}/print.pdf").content)
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", str(printed)], capture_output=True, text=True, check=True
            ).stdout,
        ).group(1)
    )
    assert pages >= 2
    name = squeezed(application.applicant_name)
    for page in range(1, pages + 1):
        text = squeezed(pdftotext(printed, "-f", str(page), "-l", str(page)))
        assert application.receipt_number in text and name in text, page
    flat = squeezed(pdftotext(printed))
    assert "(3件)" in flat and "(4件)" not in flat
    assert "2007-06-01" not in flat and squeezed(iso_to_wareki("2007-06-01")) in flat


def test_the_catalog_page_shows_conditions_groups_and_what_the_version_changed(
    catalog: None, reviewer, client
) -> None:
    sign_in(client, reviewer)
    page = client.get("/procedures/jidou-teate-nintei/2026.3/").content.decode()
    assert "「配偶者の有無」が「あり」のとき必須" in page
    assert "繰り返し(表)(1〜10 件)" in page
    diff = page[page.index('data-testid="diff"') :]
    assert "版 2026.2 からの変更" in diff
    assert "children.over_18_support" in diff and "child_name" in diff  # added, removed
    assert "預金種目" in diff  # changed: required → required when 下記の口座
    older = client.get("/procedures/jidou-teate-nintei/2026.1/").content.decode()
    assert 'data-testid="diff"' not in older


def test_the_care_forms_ask_the_second_insured_and_the_proxy_only_when_they_apply(
    catalog: None,
) -> None:
    from tests.factories import complete_form

    fields = Procedure.current(["kaigo-nintei"])["kaigo-nintei"].fields
    first = complete_form("kaigo-nintei") | {
        "insured_kind": "第1号被保険者(65歳以上)",
        "residence_kind": "在宅",
        "proxy_submission": "なし",
    }
    for key in (
        "specified_disease",
        "residence_name",
        "residence_address",
        "proxy_name",
        "proxy_kind",
        "proxy_phone",
        "requester_name",
        "requester_relationship",
        "requester_address",
        "requester_phone",
    ):
        first.pop(key)  # fmt: skip
    assert validate_form(fields, first) == {}
    second = first | {"insured_kind": "第2号被保険者(40〜64歳)", "proxy_submission": "あり"}
    assert set(validate_form(fields, second)) == {
        "specified_disease",
        "proxy_name",
        "proxy_kind",
        "proxy_phone",
    }
    in_hospital = first | {"residence_kind": "入院中"}
    assert set(validate_form(fields, in_hospital)) == {"residence_name", "residence_address"}
    # 2026.5: every insured person gives their 医療保険 (the form since 2022-04), and a
    # family member who applies gives their own name, relationship, address and phone.
    no_insurance = {k: v for k, v in first.items() if not k.startswith("medical_")}
    assert set(validate_form(fields, no_insurance)) == {
        "medical_insurer",
        "medical_insurance_number",
    }
    by_family = first | {"requester": "家族"}
    assert set(validate_form(fields, by_family)) == {
        "requester_name",
        "requester_relationship",
        "requester_address",
        "requester_phone",
    }


def test_the_simulators_forms_leave_what_an_entry_does_not_ask_and_validate(
    catalog: None,
) -> None:
    """pittari-sim's 認定請求: a child's 個人番号 only for a child living apart (the entry's own
    condition), and every form one madoguchi accepts as it is."""
    import datetime as dt
    import random

    from pittari_sim.forms import fill_form, load_procedures
    from pittari_sim.people import make_person

    definition = load_procedures()["jidou-teate-nintei"]
    fields = Procedure.objects.get(
        procedure_id="jidou-teate-nintei", version=definition["version"]
    ).fields
    today = dt.date(2026, 12, 1)
    living = set()
    for seed in range(30):
        rng = random.Random(seed)
        applicant = make_person(rng, age_range=(25, 50), today=today)
        child = make_person(rng, age_range=(0, 17), today=today)
        form = fill_form(definition, applicant, child, rng, today)
        assert validate_form(fields, form) == {}, seed
        for key in form:
            if key.startswith("children.") and key.endswith(".living"):
                number = key.split(".")[1]
                living.add(form[key])
                asked = f"children.{number}.my_number" in form
                assert asked == (form[key] == "別居"), (seed, key)
    assert living == {"同居", "別居"}  # both cases were drawn
