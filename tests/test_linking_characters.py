"""Hand-over to core systems, the characters: names exported exactly in CP932 as Windows
writes them, or held back with their field; the 外字 table and its screen; the NEC selected
codes a core system may take."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.linking.actions import mark_transcribed
from madoguchi.linking.batch import fixed_width
from madoguchi.linking.constants import DeliveryState
from madoguchi.linking.models import Delivery
from madoguchi.linking.plugins import core_system
from madoguchi.linking.plugins.registry import ConfigurationError
from madoguchi.linking.tasks import failures
from madoguchi.procedures.models import Procedure
from tests.builders import build, make_ready, spec

pytestmark = pytest.mark.django_db

NAMES = {
    # receipt: (請求者氏名, 住所)
    "2026112600000701": ("髙橋　一郎", "千代田区1〜3"),  # 〜 U+301C: CP932 0x8160
    "2026112600000702": ("山﨑　花子", "千代田区1−2−3"),  # − U+2212: CP932 0x817C
    "2026112600000703": ("𠮷田　太郎", "千代田区1番"),  # outside CP932
    "2026112600000704": ("森　鷗外", "千代田区1番"),  # outside CP932
    "2026112600000705": ("佐藤　桃子", "千代田区A—B"),  # — U+2014: CP932's ― 0x815C
    "2026112600000706": ("田中　一", "千代田区1～3"),  # ～ U+FF5E: CP932 0x8160
}
# 髙 and 﨑 as Windows and Java write them: the IBM extension codes FBFC and FAB1.
EXPECTED_BYTES = {
    "2026112600000701": (b"\xfb\xfc" + "橋　一郎".encode("cp932"), b"\x81\x60"),
    "2026112600000702": (
        "山".encode("cp932") + b"\xfa\xb1" + "　花子".encode("cp932"),
        b"\x81\x7c",
    ),
    "2026112600000705": ("佐藤　桃子".encode("cp932"), b"\x81\x5c"),
    "2026112600000706": ("田中　一".encode("cp932"), b"\x81\x60"),
}


@pytest.fixture
def named(trusted, reviewer) -> None:
    for receipt, (name, address) in NAMES.items():
        form = {"applicant_name": name, "applicant_address": address}
        import_package(build(trusted.ca, spec(receipt, form=form)), f"{receipt}.zip")
    make_ready(Application.objects.all(), reviewer)


def export(file_format, out, capsys, callbacks) -> dict:
    with callbacks(execute=True):
        call_command(
            "export", "batch", "--procedure", "jidou-teate-nintei",
            "--format", file_format, "--out", str(out), "--json",
        )  # fmt: skip
    return json.loads(capsys.readouterr().out)


def records(report, file_format) -> dict[str, list[bytes]]:
    """Each exported record's raw CP932 cells, by 受付番号."""
    [path] = report["files"]
    data = Path(path).read_bytes()
    procedure = Procedure.objects.get(procedure_id="jidou-teate-nintei", version="2026.1")
    rows = {}
    for line in data.split(b"\r\n")[(0 if file_format == "fixed" else 1) :]:
        if not line:
            continue
        if file_format == "fixed":
            cells, offset = [], 0
            for column in procedure.export_columns:
                width = fixed_width(procedure, column["source"])
                cells.append(line[offset : offset + width].rstrip(b" "))
                offset += width
        else:
            cells = line.split(b",")  # no value here holds a comma or a quote
        rows[cells[0].decode()] = cells
    return rows


@pytest.mark.parametrize("file_format", ["csv-cp932", "fixed"])
def test_names_are_exported_exactly_or_held_back_with_their_field(
    named, reviewer, tmp_path, capsys, django_capture_on_commit_callbacks, file_format
):
    report = export(file_format, tmp_path, capsys, django_capture_on_commit_callbacks)
    held = {h["receipt_number"]: h for h in report["held_back"]}
    assert set(held) == {"2026112600000703", "2026112600000704"}
    assert held["2026112600000703"]["column"] == "請求者氏名"
    assert "U+20BB7" in held["2026112600000703"]["reason"]
    assert "「鷗」" in held["2026112600000704"]["reason"]
    rows = records(report, file_format)
    assert set(rows) == set(EXPECTED_BYTES)
    for receipt, (name, dash) in EXPECTED_BYTES.items():
        assert rows[receipt][3] == name  # 請求者氏名, byte for byte
        assert dash in rows[receipt][7]  # 住所
        assert b"?" not in rows[receipt][7]
    # Held back means still waiting, for a clerk: nothing was sent in their name, and the
    # reason is on the 基幹連携 screen; the clerk may key it in by hand.
    for receipt in held:
        delivery = Delivery.objects.get(application__receipt_number=receipt)
        assert delivery.state == DeliveryState.PENDING
        assert delivery.last_error.startswith("保留: 「請求者氏名」の")
    assert {d.application.receipt_number for d in failures(timezone.now())} == set(held)
    mark_transcribed(
        Delivery.objects.get(application__receipt_number="2026112600000703").pk, actor=reviewer
    )
    assert Application.objects.get(receipt_number="2026112600000703").status == "handed_off"


def test_a_value_longer_than_its_fixed_width_is_held_back_not_cut(
    trusted, reviewer, tmp_path, capsys, django_capture_on_commit_callbacks
):
    """A fixed-length file holds a value whole or not at all: a name longer than its field
    (a form error the clerk let through) is held back naming the field and both lengths,
    and the record beside it goes out; the CSV, without widths, carries it."""
    procedure = Procedure.objects.get(procedure_id="jidou-teate-nintei", version="2026.1")
    width = fixed_width(procedure, "form.applicant_name")
    long_name = "山" * (width // 2 + 1)
    for receipt, name in (("2026112600000801", long_name), ("2026112600000802", "山田　花子")):
        form = {"applicant_name": name, "applicant_address": "東京都千代田区1-1"}
        import_package(build(trusted.ca, spec(receipt, form=form)), f"{receipt}.zip")
    make_ready(Application.objects.all(), reviewer)
    report = export("fixed", tmp_path / "a", capsys, django_capture_on_commit_callbacks)
    [held] = report["held_back"]
    assert (held["receipt_number"], held["column"]) == ("2026112600000801", "請求者氏名")
    assert held["reason"] == f"{2 * len(long_name)}バイトで、項目の長さ{width}バイトを超えます"
    assert set(records(report, "fixed")) == {"2026112600000802"}
    report = export("csv-cp932", tmp_path / "b", capsys, django_capture_on_commit_callbacks)
    assert report["held_back"] == []
    assert records(report, "csv-cp932")["2026112600000801"][3] == long_name.encode("cp932")


def test_a_character_a_core_system_cannot_take_is_flagged_at_intake_not_at_hand_over(
    named, trusted, client, reviewer
):
    """𠮷 in a name: the clerk reads the warning on the application the day it
    arrives; a カナ field with 𠮷 is a form error (flagged, not refused)."""
    from madoguchi.intake.constants import Outcome

    sign_in(client, reviewer)
    page = client.get("/applications/2026112600000703/").content.decode()
    assert "「𠮷」(U+20BB7) は CP932 で連携する基幹システムに送れません" in page
    assert "CP932 で連携する" not in client.get("/applications/2026112600000701/").content.decode()
    form = {"applicant_name": "𠮷田　花子", "applicant_kana": "ヨシダ𠮷"}
    package = build(trusted.ca, spec("2026112600000799", form=form))
    assert import_package(package, "k.zip").outcome == Outcome.ACCEPTED
    flagged = Application.objects.get(receipt_number="2026112600000799")
    assert "全角カタカナで入力してください" in flagged.form_errors["applicant_kana"]


def test_a_core_system_may_take_the_nec_selected_codes(
    configure, named, tmp_path, capsys, django_capture_on_commit_callbacks
):
    """cp932 = "nec": 髙 and 﨑 at EEE0 and ED95 (Python's cp932), and the manifest says so."""
    configure('[jidou_teate]\ncp932 = "nec"\n')
    report = export("csv-cp932", tmp_path, capsys, django_capture_on_commit_callbacks)
    rows = records(report, "csv-cp932")
    assert rows["2026112600000701"][3] == b"\xee\xe0" + "橋　一郎".encode("cp932")
    assert rows["2026112600000702"][3].startswith("山".encode("cp932") + b"\xed\x95")
    [path] = report["files"]
    manifest = json.loads(Path(path + ".manifest.json").read_text(encoding="utf-8"))
    assert (manifest["encoding"], manifest["cp932_codes"]) == ("cp932", "nec")
    configure('[jidou_teate]\ncp932 = "ibm"\n')
    with pytest.raises(ConfigurationError, match="windows / nec"):
        core_system("jidou_teate")


def test_the_gaiji_table_applies_before_encoding(
    configure, named, tmp_path, capsys, django_capture_on_commit_callbacks
):
    table = tmp_path / "gaiji.csv"
    table.write_text("文字,置換,備考\n𠮷,0xF040,基幹システムの外字 F040\n鷗,鴎,本人了承済み\n")
    configure(f'[jidou_teate]\ngaiji_table = "{table}"\n')
    report = export("fixed", tmp_path / "out", capsys, django_capture_on_commit_callbacks)
    assert report["held_back"] == []
    rows = records(report, "fixed")
    assert rows["2026112600000703"][3] == b"\xf0\x40" + "田　太郎".encode("cp932")
    assert rows["2026112600000704"][3] == "森　鴎外".encode("cp932")


def test_a_gaiji_code_outside_the_user_area_is_refused(configure, catalog, tmp_path):
    table = tmp_path / "gaiji.csv"
    table.write_text("文字,置換\n𠮷,0x8140\n")
    configure(f'[jidou_teate]\ngaiji_table = "{table}"\n')
    with pytest.raises(ValueError, match="2行目: 0x8140 はCP932の外字領域"):
        core_system("jidou_teate")


def test_a_held_back_character_is_fixed_on_the_gaiji_screen_and_goes_out_next_time(
    client, named, administrator, reviewer, tmp_path, capsys, django_capture_on_commit_callbacks
):
    report = export("fixed", tmp_path / "a", capsys, django_capture_on_commit_callbacks)
    assert {h["receipt_number"] for h in report["held_back"]} == {
        "2026112600000703",
        "2026112600000704",
    }
    sign_in(client, reviewer)
    page = client.get("/linking/2026112600000703/").content.decode()
    assert 'data-testid="fix-gaiji"' in page and "character=%F0%A0%AE%B7" in page
    assert client.post("/linking/gaiji/", {"core_system": "jidou_teate"}).status_code == 403

    sign_in(client, administrator)
    refused = client.post(
        "/linking/gaiji/",
        {"core_system": "jidou_teate", "character": "𠮷", "replacement": "0x8140"},
        follow=True,
    )
    assert "CP932の外字領域" in refused.content.decode()
    for character, replacement in (("𠮷", "0xF040"), ("鷗", "鴎")):
        client.post(
            "/linking/gaiji/",
            {"core_system": "jidou_teate", "character": character, "replacement": replacement},
        )
    assert AuditEvent.objects.filter(action=AuditAction.GAIJI_CHANGED).count() == 2
    again = export("fixed", tmp_path / "b", capsys, django_capture_on_commit_callbacks)
    assert again["held_back"] == []
    rows = records(again, "fixed")
    assert rows["2026112600000703"][3] == b"\xf0\x40" + "田　太郎".encode("cp932")
    assert rows["2026112600000704"][3] == "森　鴎外".encode("cp932")
