"""番号紐付情報 loads: atomic, every problem reported with its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from madoguchi.residents.actions import load_links
from madoguchi.residents.identification import find_resident
from madoguchi.residents.loader import COLUMNS, LoadError
from madoguchi.residents.models import Resident, SerialLink

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)
GOOD = (
    "ABC123,12345678901,1000000001,山田　花子,ヤマダ　ハナコ,1990-01-01,2,"
    "東京都千代田区千代田1番1号,2025-01-01T00:00:00+09:00,"
)


def write(tmp_path: Path, *rows: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "links.csv"
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding))
    return path


def test_a_good_file_loads_in_utf8_and_cp932(tmp_path: Path):
    assert load_links(write(tmp_path, GOOD)).links_created == 1
    assert load_links(write(tmp_path, GOOD, encoding="cp932")).links_unchanged == 1
    assert Resident.objects.get().name == "山田　花子"


def test_one_bad_row_refuses_the_whole_file_naming_each_line(tmp_path: Path):
    bad_code = GOOD.replace("12345678901", "123")
    bad_sex = GOOD.replace(",2,", ",9,").replace("ABC123", "ABC124")
    with pytest.raises(LoadError) as caught:
        load_links(write(tmp_path, GOOD, bad_code, bad_sex))
    assert caught.value.problems == [
        "3 行目: 住民票コードは半角数字11桁です",
        "4 行目: 性別コードは 1・2・3 のいずれかです",
    ]
    assert not SerialLink.objects.exists()


def test_a_reissued_serial_resolves_by_signing_time(tmp_path: Path):
    old = GOOD.replace(
        "2025-01-01T00:00:00+09:00,", "2025-01-01T00:00:00+09:00,2026-06-01T00:00:00+09:00"
    )
    new = GOOD.replace("ABC123", "DEF456").replace("2025-01-01", "2026-06-01")
    load_links(write(tmp_path, old, new))
    jst = dt.timezone(dt.timedelta(hours=9))
    assert find_resident("ABC123", dt.datetime(2026, 3, 1, tzinfo=jst)) is not None
    assert find_resident("ABC123", dt.datetime(2026, 7, 1, tzinfo=jst)) is None
    assert find_resident("DEF456", dt.datetime(2026, 7, 1, tzinfo=jst)) is not None
    # The edges, in another time zone than they were loaded in: from is in, to is out.
    change = dt.datetime(2026, 5, 31, 15, 0, tzinfo=dt.UTC)  # 2026-06-01 00:00 JST
    assert find_resident("ABC123", change) is None
    assert find_resident("DEF456", change) is not None
    assert find_resident("ABC123", change - dt.timedelta(microseconds=1)) is not None
    assert find_resident("DEF456", change - dt.timedelta(microseconds=1)) is None


def test_a_control_character_is_refused_not_stored(tmp_path: Path):
    with pytest.raises(LoadError, match="制御文字"):
        load_links(write(tmp_path, GOOD.replace("山田", "山\x00田")))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("12345678901", "１2345678901"), "住民票コードは半角数字11桁です"),
        (("1000000001", "１000000001"), "宛名番号は半角数字15桁以内です"),
        (("1000000001", "1" * 16), "宛名番号は半角数字15桁以内です"),
        (("ヤマダ　ハナコ", "やまだ　はなこ"), "カナ氏名は全角カタカナで書いてください"),
        (("ヤマダ　ハナコ", "ﾔﾏﾀﾞ"), "カナ氏名は全角カタカナで書いてください"),
        (("1990-01-01", "2999-01-01"), "生年月日が未来の日付です"),
        (("1990-01-01", "19900101"), "生年月日が正しくありません (YYYY-MM-DD)"),
        (("山田　花子", "山田\x85花子"), "「name」に制御文字が含まれています"),
    ],
)
def test_registry_rows_take_ascii_codes_katakana_and_no_hidden_characters(
    tmp_path: Path, change, problem
):
    with pytest.raises(LoadError) as caught:
        load_links(write(tmp_path, GOOD.replace(*change)))
    assert caught.value.problems == [f"2 行目: {problem}"]
    assert not Resident.objects.exists()


def test_a_typed_my_number_is_read_and_degenerate_ones_are_refused():
    from madoguchi.lib.mynumber import parse_my_number

    assert parse_my_number("1234 5678 9018") == "123456789018"
    assert parse_my_number("1234-5678-9018") == "123456789018"
    assert parse_my_number("１２３４５６７８９０１８") is None
    assert parse_my_number("000000000000") is None
    assert parse_my_number("123456789011") is None


def test_full_width_space_padding_of_fixed_length_fields_is_stripped(tmp_path: Path):
    from tests.test_identification import ROW, fixed_record

    record = bytearray(fixed_record(ROW))
    name_at = 40 + 11 + 15
    name = ROW["name"].encode("cp932")
    padded = (name + "　".encode("cp932") * 30)[:60]
    record[name_at : name_at + 60] = padded
    path = tmp_path / "links.dat"
    path.write_bytes(bytes(record) + b"\r\n")
    load_links(path)
    assert Resident.objects.get().name == ROW["name"]


OTHER = (
    "DEF456,12345678902,1000000002,山田　太郎,ヤマダ　タロウ,1985-05-05,1,"
    "東京都千代田区千代田1番1号,2025-01-01T00:00:00+09:00,"
)


def test_an_unknown_gaiji_holds_its_row_and_the_rest_of_the_file_loads(
    tmp_path: Path, client, administrator
):
    """A CP932 export whose row 3 carries a 住基 外字 (0xF041, read as U+E001): every other
    row loads, that row is held with its line, its link is not ended by the full load; the
    administrator registers the 外字 on screen and loads the held row."""
    from conftest import sign_in
    from madoguchi.audit.constants import AuditAction
    from madoguchi.audit.models import AuditEvent
    from madoguchi.residents.models import HeldRow

    load_links(write(tmp_path, GOOD, OTHER))  # 山田　太郎 linked before
    gaiji = OTHER.replace("山田　太郎", "山\ue001　太郎")
    report = load_links(write(tmp_path, GOOD, gaiji, encoding="cp932"))
    assert (report.rows, report.held) == (1, [(3, [0xE001])])
    assert SerialLink.objects.filter(serial="DEF456", valid_to__isnull=True).exists()
    held = HeldRow.objects.get()
    assert (held.line, held.atena_number, held.codes) == (3, "1000000002", [0xE001])
    assert b"\xe5\xb1\xb1" not in bytes(held.row)  # kept sealed, not as UTF-8 text

    sign_in(client, administrator)
    page = client.get("/residents/gaiji/").content.decode()
    assert "U+E001 (CP932 0xF041)" in page and "山[U+E001]　太郎" in page
    refused = client.post("/residents/gaiji/", {"code": str(0xE001), "replacement": "ab"})
    assert refused.status_code == 302 and not HeldRow.objects.filter(loaded_at__isnull=False)
    client.post("/residents/gaiji/", {"code": str(0xE001), "replacement": "﨑", "note": "住基"})
    client.post("/residents/gaiji/", {"action": "load"})
    held.refresh_from_db()
    assert held.loaded_at is not None
    assert Resident.objects.get(resident_code="12345678902").name == "山﨑　太郎"
    assert AuditEvent.objects.filter(action=AuditAction.REGISTRY_GAIJI_CHANGED).count() == 1
    assert AuditEvent.objects.get(action=AuditAction.HELD_ROWS_LOADED).extra["rows"] == 1
    # The next file with that 外字 loads at once.
    assert load_links(write(tmp_path, GOOD, gaiji, encoding="cp932")).held == []


def test_a_gaiji_with_no_character_loads_as_geta_and_a_clerk_compares_it(
    tmp_path: Path, administrator
):
    """〓: the row loads; the card's name matches it at that place, but a clerk looks."""
    from madoguchi.lib.jpki import BasicFour
    from madoguchi.residents.actions import set_registry_gaiji
    from madoguchi.residents.identification import identify
    from madoguchi.vocabulary import Identification

    set_registry_gaiji(0xE001, "〓", "", actor=administrator)
    load_links(write(tmp_path, OTHER.replace("山田　太郎", "山\ue001　太郎")))
    assert Resident.objects.get().name == "山〓　太郎"
    when = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

    def card(name: str) -> BasicFour:
        return BasicFour(
            name=name, birth_date="1985-05-05", sex="1", address="東京都千代田区千代田1番1号"
        )

    same = identify("DEF456", when, card("山嵜　太郎"))
    assert same.outcome == Identification.NEEDS_REVIEW
    assert same.notes == [
        "住民記録の氏名に文字の無い外字(〓)があります。証明書の表記と照らしてください"
    ]
    other = identify("DEF456", when, card("山嵜　次郎"))
    assert other.notes[0] == "氏名が住民記録と異なります"


def test_the_household_comes_with_the_links_and_a_child_without_a_card_is_a_resident(
    tmp_path: Path, client, counter_clerk
):
    """世帯番号, 続柄 and 郵便番号 beside the links: the parent's row links their card; the
    child's row has no serial (no card) and is a resident only. At the counter the 認定請求
    for the parent comes with the child and the postal code filled in."""
    from conftest import sign_in

    header = HEADER + ",my_number,household_number,relationship,postal_code"
    parent = GOOD + ",,H0001,世帯主,1000001"
    child = (
        ",12345678902,1000000002,山田　一郎,ヤマダ　イチロウ,2020-05-05,1,"
        "東京都千代田区千代田1番1号,,,,H0001,子,100-0001"
    )
    path = tmp_path / "links.csv"
    path.write_text("\r\n".join([header, parent, child]) + "\r\n", encoding="utf-8")
    report = load_links(path)
    assert (report.rows, report.links_created, report.residents_created) == (2, 1, 2)
    mother = Resident.objects.get(resident_code="12345678901")
    assert (mother.household_number, mother.relationship, mother.postal_code) == (
        "H0001",
        "世帯主",
        "100-0001",
    )
    assert [c.name for c in mother.household_children()] == ["山田　一郎"]
    assert not SerialLink.objects.filter(resident__resident_code="12345678902").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\r\n".join([header, parent.replace("H0001", "世帯1")]) + "\r\n", encoding="utf-8"
    )
    with pytest.raises(LoadError, match="世帯番号は半角英数字"):
        load_links(bad)

    sign_in(client, counter_clerk)
    page = client.get(
        f"/applications/counter/{mother.atena_number}/forms/?procedure=jidou-teate-nintei"
    ).content.decode()
    assert 'value="山田　一郎"' in page and 'value="2020-05-05"' in page
    assert 'value="100-0001"' in page
