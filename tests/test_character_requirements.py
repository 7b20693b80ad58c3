"""文字要件 (共通機能標準仕様書): a UTF-8 batch file kept within the MJ文字 repertoire, the set
行政事務標準文字 is built on; a record with a character outside is held back with the reason,
as a CP932 file holds back 𠮷. The repertoire comes from the MJ reference font, named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from madoguchi.lib import repertoire
from madoguchi.linking.models import Delivery
from tests.builders import build, make_ready, spec

ROOT = Path(__file__).resolve().parent.parent
FONT = Path("/usr/share/fonts/truetype/ipamj/ipamjm.ttf")
KATSU_MJ = "葛\U000e0102"  # 葛 with a Moji_Joho (MJ) ideographic variation selector
KATSU_ADOBE = "葛\U000e0100"  # the same base with an Adobe-Japan1 selector: not MJ's

NAMES = {
    "2026112600000901": "𠮷田　太郎",  # outside CP932, inside MJ
    "2026112600000902": "森　鷗外",
    "2026112600000903": f"{KATSU_MJ}西　花子",
    "2026112600000904": "山田　😀",  # an emoji
    "2026112600000905": f"{KATSU_ADOBE}西　一郎",
    "2026112600000906": "髙橋　\ue000",  # a private-use 外字 code
}


@pytest.mark.skipif(not FONT.exists(), reason="Debian's fonts-ipamj-mincho is not installed")
def test_the_repertoire_is_what_the_named_font_maps(tmp_path):
    written = tmp_path / "mj.txt"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "mj-repertoire"), str(FONT), "--out", str(written)],
        check=True,
    )
    assert written.read_text(encoding="utf-8") == repertoire.DATA.read_text(encoding="utf-8")
    assert "IPAmjMincho Version 005.01" in written.read_text(encoding="utf-8")


def test_characters_and_sequences_outside_the_repertoire_are_named():
    assert repertoire.outside("𠮷野　鷗外　髙﨑　ｱ①\n") == []
    assert repertoire.outside(f"{KATSU_MJ}飾区") == []
    assert repertoire.outside("\ufe0f") == ["\ufe0f"]  # a selector on its own
    assert repertoire.outside(f"😀{KATSU_ADOBE}飾\ufe0f\ue000😀") == [
        "😀",
        KATSU_ADOBE,
        "飾\ufe0f",  # a selector the set does not define for its character
        "\ue000",
    ]
    assert repertoire.named(KATSU_ADOBE) == f"「{KATSU_ADOBE}」(U+845B U+E0100)"


def test_a_standard_file_carries_mj_names_exactly_and_holds_back_the_rest(
    trusted, reviewer, tmp_path, capsys, django_capture_on_commit_callbacks
):
    for receipt, name in NAMES.items():
        form = {"applicant_name": name, "applicant_address": "千代田区1番"}
        import_package(build(trusted.ca, spec(receipt, form=form)), f"{receipt}.zip")
    make_ready(Application.objects.all(), reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "export", "batch", "--procedure", "jidou-teate-nintei",
            "--format", "csv-standard", "--out", str(tmp_path), "--json",
        )  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    held = {h["receipt_number"]: h["reason"] for h in report["held_back"]}
    assert held == {
        "2026112600000904": "「😀」(U+1F600)は行政事務標準文字(文字要件)にありません",
        "2026112600000905": (
            f"「{KATSU_ADOBE}」(U+845B U+E0100)は行政事務標準文字(文字要件)にありません"
        ),
        "2026112600000906": "「\ue000」(U+E000)は行政事務標準文字(文字要件)にありません",
    }
    [path] = report["files"]
    text = Path(path).read_bytes().decode("utf-8")
    for receipt in ("2026112600000901", "2026112600000902", "2026112600000903"):
        assert f"{receipt}," in text and NAMES[receipt] in text  # exactly as signed
    for receipt in held:
        assert receipt not in text
        delivery = Delivery.objects.get(application__receipt_number=receipt)
        assert (delivery.state, delivery.held_back) == ("pending", True)
        assert delivery.last_error.startswith("保留: 「請求者氏名」の")


def test_a_core_system_under_the_standard_gets_no_record_outside_it_by_any_method(
    configure, client, trusted, reviewer, capsys
):
    configure('[jidou_teate]\nmethod = "pull_api"\ncharacters = "standard"\n')
    kept, emoji = "2026112600000901", "2026112600000904"
    for receipt in (kept, emoji):
        form = {"applicant_name": NAMES[receipt], "applicant_address": "千代田区1番"}
        import_package(build(trusted.ca, spec(receipt, form=form)), f"{receipt}.zip")
    make_ready(Application.objects.all(), reviewer)
    call_command("linking", "token", "jidou_teate")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    base = "/api/v1/core-systems/jidou_teate/records"
    record = client.get(f"{base}/{kept}", **bearer).json()
    assert NAMES[kept] in [i["value"] for i in record["items"]]
    refused = client.get(f"{base}/{emoji}", **bearer)
    assert (refused.status_code, refused.json()["error"]) == (409, "held_back")
    assert "「😀」(U+1F600)は行政事務標準文字(文字要件)にありません" in refused.json()["message"]
    delivery = Delivery.objects.get(application__receipt_number=emoji)
    assert (delivery.state, delivery.held_back) == ("pending", True)
