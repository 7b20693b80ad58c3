"""Real cards and real Japanese data: certificates laid out by the J-LIS profile (DESIGN.md
§3.1), written here from the profile table and not with the simulator's certificate code;
地方公共団体コード; field rules that agree with every export; 和暦 at every date."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import sign_in
from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from madoguchi.intake.constants import Reason
from madoguchi.lib.cells import row_problem
from madoguchi.lib.codes import (
    RECEIPT_NUMBER,
    is_valid_corporate_number,
    is_valid_municipality_code,
)
from madoguchi.lib.jpki import BasicFour
from madoguchi.lib.text import normalize_for_match
from madoguchi.lib.wareki import to_wareki
from madoguchi.linking.batch import RecordWriter
from madoguchi.linking.constants import BatchFormat
from madoguchi.linking.gaiji import GaijiMap
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import _field_errors, field_at, max_length
from madoguchi.residents.actions import load_links
from madoguchi.vocabulary import Identification
from pittari_sim.package import application_xml as signed_form
from pittari_sim.package import build_zip, package_files, sign
from tests.builders import build, edit_envelope, make_ready, rezip, shared_key, spec
from tests.test_identification import ROW, write_csv

pytestmark = pytest.mark.django_db

J_LIS = "1.2.392.200149.8.5.5."


def utf8(value: str) -> bytes:
    body = value.encode()
    assert len(body) < 0x80
    return bytes([0x0C, len(body)]) + body


def printable(value: str) -> bytes:
    return bytes([0x13, len(value)]) + value.encode("ascii")


def card_certificate(ca, serial: int, entries: dict[str, bytes]) -> x509.Certificate:
    """A 署名用電子証明書 as a real card's: the otherName entries in the order real cards
    carry them (.1 .4 .3 .5 .2 .6), keyUsage digitalSignature + nonRepudiation."""
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName(
        [
            x509.OtherName(x509.ObjectIdentifier(J_LIS + suffix), value)
            for suffix, value in entries.items()
        ]
    )
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP")]))
        .issuer_name(ca.certificate.subject)
        .public_key(shared_key().public_key())
        .serial_number(serial)
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(san, critical=False)
        .sign(ca.key, hashes.SHA256())
    )


def profile_entries(name: str, address: str, name_flags: str = "", address_flags: str = ""):
    return {
        "1": utf8(name),
        "4": printable("419900101"),  # 平成, 1990-01-01
        "3": printable("2"),  # 女
        "5": utf8(address),
        "2": printable(name_flags or "0" * len(name)),
        "6": printable(address_flags or "0" * len(address)),
    }


def filed_with_card(ca, serial: int, entries: dict[str, bytes], receipt: str) -> Application:
    """An application signed with a card laid out as ``entries``, imported."""
    import_package(package_signed_with(card_certificate(ca, serial, entries), receipt), "c.zip")
    return Application.objects.get(receipt_number=receipt)


def package_signed_with(certificate: x509.Certificate, receipt: str) -> bytes:
    package_spec = spec(receipt)
    xml = sign(signed_form(package_spec), shared_key(), certificate)
    return build_zip(package_files(package_spec, xml))


def link(tmp_path: Path, serial: int, **row: str) -> None:
    row = {**ROW, "serial_number": format(serial, "X"), **row}
    load_links(write_csv(tmp_path, row), delta=True)


def test_a_linked_resident_on_a_real_card_layout_is_identified(tmp_path: Path, trusted):
    link(tmp_path, 0x1001, name="山田　花子")
    entries = profile_entries("山田　花子", ROW["address"])
    certificate = card_certificate(trusted.ca, 0x1001, entries)
    basic_four = BasicFour.from_certificate(certificate)
    assert basic_four is not None
    assert (basic_four.sex, basic_four.birth_date, basic_four.era) == ("2", "1990-01-01", "4")

    import_package(package_signed_with(certificate, "2026112600001001"), "real.zip")
    application = Application.objects.get(receipt_number="2026112600001001")
    assert application.identification == Identification.IDENTIFIED
    assert application.identification_notes == []


def test_a_gaiji_name_with_its_substitute_position_set_is_identified_and_shown(
    tmp_path: Path, trusted, client, reviewer
):
    """住基 writes 𡈽屋 (a character no card prints); the card prints 土屋 and flags it."""
    link(tmp_path, 0x1002, name="𡈽屋　花子")
    flagged = profile_entries("土屋　花子", ROW["address"], name_flags="10000")
    application = filed_with_card(trusted.ca, 0x1002, flagged, "2026112600001002")
    assert application.identification == Identification.IDENTIFIED
    assert application.identification_notes == [
        "氏名に代替文字あり(外字のため住民記録と異なる文字が使われています)"
    ]
    sign_in(client, reviewer)
    page = client.get(f"/applications/{application.receipt_number}/").content.decode()
    assert "土屋　花子 (代替文字あり)" in page

    # Without the flag, 𡈽 and 土 are still one character to the MJ縮退マップ; a character
    # no map joins (士) is a different name, and a clerk must look.
    unflagged = profile_entries("土屋　花子", ROW["address"])
    same = filed_with_card(trusted.ca, 0x1002, unflagged, "2026112600001003")
    assert same.identification == Identification.IDENTIFIED
    different = profile_entries("士屋　花子", ROW["address"])
    other = filed_with_card(trusted.ca, 0x1002, different, "2026112600001004")
    assert other.identification == Identification.NEEDS_REVIEW
    assert other.identification_notes == ["氏名が住民記録と異なります"]


def test_a_substitute_position_does_not_excuse_the_other_characters(tmp_path: Path, trusted):
    link(tmp_path, 0x1004, name="𡈽屋　花子")
    flagged = profile_entries("土田　花子", ROW["address"], name_flags="10000")
    application = filed_with_card(trusted.ca, 0x1004, flagged, "2026112600001004")
    assert application.identification == Identification.NEEDS_REVIEW


@pytest.mark.parametrize(
    ("raw", "era", "iso"),
    [
        ("419900102", "4", "1990-01-02"),
        ("319890107", "3", "1989-01-07"),
        ("520190501", "5", "2019-05-01"),
        ("019000101", "0", "1900-01-01"),
        ("19900102", "", ""),  # no 元号区分: not the profile's layout
        ("419901302", "", ""),  # no 13th month
        ("４19900102", "", ""),  # full-width digit
    ],
)
def test_the_birth_date_is_the_era_digit_then_the_gregorian_date(trusted, raw, era, iso):
    entries = profile_entries("山田　花子", "東京都") | {
        "4": printable(raw) if raw.isascii() else utf8(raw)
    }
    basic_four = BasicFour.from_certificate(card_certificate(trusted.ca, 77, entries))
    assert basic_four is not None
    assert (basic_four.era, basic_four.birth_date) == (era, iso)


@pytest.mark.parametrize(
    ("era", "iso", "agrees"),
    [
        ("4", "1990-01-02", True),
        ("3", "1989-01-07", True),  # the last day of 昭和
        ("4", "1989-01-07", False),
        ("4", "1989-01-08", True),  # the first day of 平成
        ("5", "2019-04-30", False),
        ("1", "1900-01-01", True),
        ("3", "1900-01-01", False),
        ("0", "1900-01-01", True),  # 不明 agrees with any date
        ("9", "1990-01-02", False),
    ],
)
def test_the_era_digit_is_checked_against_the_date_and_a_mismatch_shown(era, iso, agrees):
    from madoguchi.applications.models import Application
    from madoguchi.applications.views.detail import _comparison
    from madoguchi.lib.jpki import era_agrees

    assert era_agrees(era, iso) is agrees
    four = BasicFour(name="山田　花子", birth_date=iso, sex="2", address="東京都", era=era)
    shown = next(r for r in _comparison(Application(), four) if r["item"] == "生年月日")
    assert ("一致しません" in shown["certificate"]) is (not agrees and era in "012345")


# 地方公共団体コード: 131016 is 千代田区 (this municipality in the tests), 011002 札幌市.
@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("131015", Reason.MUNICIPALITY_INVALID),  # check digit
        ("１３１０１６", Reason.MUNICIPALITY_INVALID),  # full-width digits
        ("13101", Reason.MUNICIPALITY_INVALID),  # five digits
        ("011002", Reason.MUNICIPALITY_MISMATCH),  # another municipality's valid code
    ],
)
def test_a_bad_municipality_code_is_quarantined_and_the_batch_goes_on(
    trusted, tmp_path: Path, capsys, code, reason
):
    assert is_valid_municipality_code("131016") and is_valid_municipality_code("011002")
    drop = tmp_path / "drop"
    drop.mkdir()
    good = trusted.packages[:2]
    for path in good:
        (drop / path.name).write_bytes(path.read_bytes())
    bad = rezip(trusted.packages[2].read_bytes(), edit_envelope(municipality_code=code))
    (drop / "bad.zip").write_bytes(bad)
    call_command("intake", "import", str(drop), "--json")
    results = {r["file"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert (results["bad.zip"]["outcome"], results["bad.zip"]["reason"]) == (
        "quarantined",
        reason.value,
    )
    assert [results[p.name]["outcome"] for p in good] == ["accepted", "accepted"]


def test_corporate_numbers_carry_their_check_digit_first():
    assert is_valid_corporate_number("7000012050002")  # 国税庁
    assert not is_valid_corporate_number("8000012050002")
    assert not is_valid_corporate_number("７000012050002")
    assert not is_valid_corporate_number("700001205000")


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("date", "2026-11-26", True),
        ("date", "20261126", False),
        ("date", "2026-W48-4", False),
        ("date", "２０２６-11-26", False),
        ("postal_code", "100-0001", True),
        ("postal_code", "1000001", False),
        ("postal_code", "１００-０００１", False),
        ("phone", "03-1234-5678", True),
        ("phone", "09012345678", True),
        ("phone", "090-1234-5678", True),
        ("phone", "0312345", False),
        ("phone", "03-1234-56789-0", False),
        ("phone", "1234567890", False),
        ("corporate_number", "7000012050002", True),
        ("corporate_number", "7000012050003", False),
        # 個人番号: the check digit by hand from 施行規則 第1条 (weights 2–7, then 2–6 from the
        # right: 212 mod 11 = 3, 11 − 3 = 8).
        ("my_number", "123456789018", True),
        ("my_number", "123456789017", False),
        ("my_number", "1234 5678 9018", False),
        ("my_number", "１２３４５６７８９０１８", False),
        ("my_number", "000000000000", False),
        ("my_number", "12345678901", False),
    ],
)
def test_field_rules(kind, value, ok):
    assert (_field_errors({"id": "x", "type": kind}, value) == []) is ok


def _valid_value(field: dict) -> st.SearchStrategy[str]:
    """Values of the field's type built to be valid, up to its longest."""
    kind = field["type"]
    longest = max_length(field)
    digits = field.get("length")
    return {
        "kana": st.text(alphabet="アイウエオガギャッー・　 ヴヶ", min_size=1, max_size=longest),
        # A birth date has happened (the date type refuses one in the future).
        "date": st.dates(
            max_value=dt.date(2000, 1, 1)
            if str(field.get("semantic", "")).endswith("birth_date")
            else dt.date.max
        ).map(dt.date.isoformat),
        "postal_code": st.from_regex(r"[0-9]{3}-[0-9]{4}", fullmatch=True),
        "phone": st.from_regex(
            r"0[0-9]{9,10}|0[0-9]-[0-9]{4}-[0-9]{4}|0[0-9]{2}-[0-9]{3,4}-[0-9]{4}", fullmatch=True
        ),
        "digits": st.text(alphabet="0123456789", min_size=digits or 1, max_size=digits or longest),
        # A choice the catalog refuses (公務員 → 所属庁: `refused`) is not a valid value.
        "choice": st.sampled_from(
            [c for c in field.get("choices") or [""] if c not in field.get("refused", {})]
        ),
        "corporate_number": st.just("7000012050002"),
        "my_number": st.just("123456789018"),
        "text": st.text(
            alphabet=st.characters(
                codec="cp932",
                exclude_categories=["Cc", "Cs"],
                # CP932 writes these as its own 〜 − ¬ …: the core system reads those.
                include_characters="¢£¬‖−〜",
            ),
            min_size=1,
            max_size=longest,
        ),
    }[kind]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_value_the_schema_accepts_fits_every_export_layout(catalog, data):
    """Hypothesis over the catalog's field rules: a valid value never overflows its fixed
    width, and every CSV carries it exactly."""
    procedures = list(Procedure.objects.order_by("procedure_id", "version"))
    procedure = data.draw(st.sampled_from(procedures))
    values = []
    for column in procedure.export_columns:
        source = column["source"]
        if source == "application.receipt_number":
            value = data.draw(st.from_regex(RECEIPT_NUMBER, fullmatch=True))
        elif source == "application.submitted_date":
            value = data.draw(st.dates()).isoformat()
        elif source == "resident.atena_number":
            value = data.draw(st.from_regex(r"[0-9]{1,15}", fullmatch=True))
        else:
            # Anything at all where the schema takes it, else a value built to be valid.
            field = field_at(procedure.fields, source.removeprefix("form."))
            value = data.draw(st.text(max_size=max_length(field) + 1))
            if _field_errors(field, value):
                value = data.draw(_valid_value(field))
            assert _field_errors(field, value) == [], (field, value)
        values.append(value)
    if row_problem(values):
        # A control character or a formula start: the record builder holds it back before
        # any encoding (linking/records.py).
        return
    for file_format in BatchFormat:
        writer = RecordWriter(
            procedure, procedure.export_columns, file_format, GaijiMap.for_table(None)
        )
        encoded = writer.encode("R", values)
        if not isinstance(encoded, bytes):
            # Held back for a character the encoding lacks: never for its length.
            assert "文字コードで表せません" in encoded.reason
            continue
        if file_format == BatchFormat.FIXED:
            assert len(encoded) == sum(writer.widths) + 2
            assert encoded.count(b"\r\n") == 1
        else:
            row = next(csv.reader(io.StringIO(encoded.decode(writer.encoding), newline="")))
            # As the core system reads it: CP932's own code points for 〜 ― and the like.
            carried = [writer.gaiji.apply(v).encode(writer.encoding) for v in values]
            assert row == [c.decode(writer.encoding) for c in carried]


@given(st.dates())
def test_wareki_never_fails_for_a_date(day):
    assert to_wareki(day)


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (dt.date(1, 1, 1), "西暦1年1月1日(和暦に換算できません)"),
        (dt.date(1872, 12, 31), "西暦1872年12月31日(和暦に換算できません)"),
        (dt.date(1873, 1, 1), "明治6年1月1日"),
        (dt.date(1912, 7, 29), "明治45年7月29日"),
        (dt.date(1912, 7, 30), "大正元年7月30日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(9999, 12, 31), "令和7981年12月31日"),
    ],
)
def test_wareki_at_the_era_boundaries(day, shown):
    assert to_wareki(day) == shown


@pytest.fixture
def era_transcription(settings, tmp_path):
    path = tmp_path / "core.toml"
    path.write_text('[kaigo_hoken]\nera_dates = true\nmethod = "transcription"\n')
    settings.CORE_SYSTEMS_FILE = str(path)


@pytest.mark.parametrize(
    # Any birth date the form accepts: none in the future since 2026-12 (a form error).
    "birth_date",
    ["0001-01-01", "1868-01-01", "1872-12-31", "1989-01-07", "2019-05-01"],
)
def test_the_transcription_screen_shows_any_accepted_date(
    era_transcription, trusted, client, kaigo_clerk, kaigo_reviewer, birth_date
):
    receipt = "2026112600002001"
    form = {"applicant_name": "鈴木　一郎", "applicant_birth_date": birth_date}
    package = spec(receipt, procedure_id="kaigo-nintei", procedure_version="2026.2", form=form)
    xml = sign(
        signed_form(package),
        shared_key(),
        card_certificate(trusted.ca, 9, profile_entries("鈴木　一郎", "東京都")),
    )
    import_package(build_zip(package_files(package, xml)), "d.zip")
    application = Application.objects.get(receipt_number=receipt)
    assert "applicant_birth_date" not in application.form_errors
    make_ready([application], kaigo_reviewer)
    sign_in(client, kaigo_clerk)
    response = client.get(f"/linking/{receipt}/")
    assert response.status_code == 200
    assert to_wareki(dt.date.fromisoformat(birth_date)) in response.content.decode()


# Every pair the folding promises, as a clerk would call them the same.
SAME = [
    ("東京都千代田区一番町1-2", "東京都千代田区一番町１−２"),
    ("東京都千代田区一番町1‐2", "東京都千代田区一番町1ー2"),
    ("東京都千代田区一番町1－2", "東京都千代田区一番町1-2"),
    ("〜", "～"),
    ("東京都千代田区霞ヶ関", "東京都千代田区霞ケ関"),
    ("茨城県龍ケ崎市", "茨城県竜ヶ崎市"),
    ("一ヵ所", "一カ所"),
    ("葛\U000e0100飾", "葛飾"),
    ("ｶﾞｸ", "ガク"),
    ("カ゛ク", "ガク"),
    ("濵田　花子", "浜田　花子"),
    ("髙橋", "高橋"),
    ("渡邉", "渡辺"),
    ("嶋田", "島田"),
    ("𠮷田", "吉田"),
]
DIFFERENT = [("斎藤", "斉藤"), ("タカハシ", "タケハシ"), ("マリー", "マリ-")]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_the_folding_makes_these_the_same(a, b):
    assert normalize_for_match(a) == normalize_for_match(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_the_folding_keeps_these_apart(a, b):
    assert normalize_for_match(a) != normalize_for_match(b)


@pytest.mark.parametrize(("registered", "carried"), SAME[4:])
def test_the_same_folding_identifies_and_finds(
    tmp_path: Path, trusted, client, reviewer, registered, carried
):
    """Identification: the registry spells it one way, the card the other. Search: a clerk
    types the card's spelling and finds the application."""
    name = f"{registered}　花子" if len(registered) <= 4 else "山田　花子"
    address = registered if len(registered) > 4 else ROW["address"]
    link(tmp_path, 0x3001, name=name, address=address)
    card_name = f"{carried}　花子" if len(registered) <= 4 else "山田　花子"
    card_address = carried if len(registered) > 4 else ROW["address"]
    receipt = "2026112600003001"
    package = spec(receipt, form={"applicant_name": card_name, "applicant_kana": "ヤマダ　ハナコ"})
    certificate = card_certificate(trusted.ca, 0x3001, profile_entries(card_name, card_address))
    import_package(
        build_zip(package_files(package, sign(signed_form(package), shared_key(), certificate))),
        "f.zip",
    )
    application = Application.objects.get(receipt_number=receipt)
    assert application.identification == Identification.IDENTIFIED, application.identification_notes
    if len(registered) <= 4:
        sign_in(client, reviewer)
        page = client.get("/applications/", {"q": registered}).content.decode()
        assert receipt in page


def test_the_configured_municipality_code_is_checked(settings):
    from madoguchi.intake.checks import municipality_code

    settings.MUNICIPALITY_CODE = ""
    assert [m.id for m in municipality_code(None)] == ["madoguchi.W001"]
    settings.MUNICIPALITY_CODE = "131015"
    assert [m.id for m in municipality_code(None)] == ["madoguchi.E001"]
    settings.MUNICIPALITY_CODE = "131016"
    assert municipality_code(None) == []


@pytest.mark.parametrize(
    ("postal_code", "address", "warning"),
    [
        ("100-0001", "東京都千代田区千代田1番1号", None),
        ("100-0001", "大阪府大阪市北区梅田1丁目", "郵便番号は「東京都千代田区千代田」のものです"),
        ("999-9999", "東京都千代田区千代田1番1号", "日本郵便のデータにない郵便番号です"),
    ],
)
def test_a_postal_code_is_checked_against_japan_posts_data_as_a_warning(
    trusted, client, reviewer, postal_code, address, warning
):
    form = {
        "applicant_name": "山田　花子",
        "applicant_postal_code": postal_code,
        "applicant_address": address,
    }
    import_package(build(trusted.ca, spec("2026112600004001", form=form)), "p.zip")
    application = Application.objects.get()
    assert "applicant_postal_code" not in application.form_errors  # never a refusal
    sign_in(client, reviewer)
    page = client.get(f"/applications/{application.receipt_number}/").content.decode()
    assert ('data-testid="field-warning"' in page) is (warning is not None)
    if warning:
        assert warning in page
