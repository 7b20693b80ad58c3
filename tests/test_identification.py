"""③-1 and ③-4: 番号紐付情報 loads, 個人番号 at rest, and the manual match."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from conftest import sign_in
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.lib.mynumber import MASKED, is_valid_my_number
from madoguchi.residents import crypto
from madoguchi.residents.actions import load_links, rotate_keys
from madoguchi.residents.loader import COLUMNS, FIXED_LAYOUT, LoadError
from madoguchi.residents.models import Resident, SerialLink
from madoguchi.vocabulary import Identification
from tests.builders import build, spec

pytestmark = pytest.mark.django_db

ROW = {
    "serial_number": "ABC123",
    "resident_code": "12345678901",
    "atena_number": "1000000001",
    "name": "髙橋　花子",
    "name_kana": "タカハシ　ハナコ",
    "birth_date": "1990-01-01",
    "sex": "2",
    "address": "東京都千代田区千代田1番1号",
    "valid_from": "2025-01-01T00:00:00+09:00",
    "valid_to": "",
    "my_number": "123456789018",
}


def write_csv(tmp_path: Path, *rows: dict[str, str]) -> Path:
    header = [*COLUMNS, "my_number"]
    lines = [",".join(header)] + [",".join(row[c] for c in header) for row in rows]
    path = tmp_path / "links.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def fixed_record(row: dict[str, str]) -> bytes:
    values = {
        **row,
        "birth_date": row["birth_date"].replace("-", ""),
        "valid_from": row["valid_from"][:19].replace("-", "").replace("T", "").replace(":", ""),
    }
    return b"".join(values[c].encode("cp932").ljust(width) for c, width in FIXED_LAYOUT)


def test_my_number_check_digit():
    assert is_valid_my_number("123456789018")
    assert not is_valid_my_number("123456789011")
    assert not is_valid_my_number("12345678901")
    assert not is_valid_my_number("１２３４５６７８９０１８")


def test_my_number_is_encrypted_at_rest(tmp_path: Path):
    load_links(write_csv(tmp_path, ROW))
    stored = bytes(Resident.objects.get().my_number_encrypted)
    assert b"123456789018" not in stored
    assert crypto.decrypt(stored) == "123456789018"


def test_a_wrong_check_digit_refuses_the_file(tmp_path: Path):
    with pytest.raises(LoadError) as caught:
        load_links(write_csv(tmp_path, {**ROW, "my_number": "123456789011"}))
    assert caught.value.problems == ["2 行目: 個人番号が正しくありません (桁数または検査用数字)"]


def test_the_fixed_length_layout_loads_like_the_csv(tmp_path: Path):
    path = tmp_path / "links.dat"
    path.write_bytes(fixed_record(ROW) + b"\r\n")
    report = load_links(path)
    assert report.file_format == "fixed"
    resident = Resident.objects.get()
    assert (resident.name, str(resident.birth_date)) == ("髙橋　花子", "1990-01-01")
    assert SerialLink.objects.get().valid_from.isoformat() == "2024-12-31T15:00:00+00:00"


def test_a_fixed_record_of_the_wrong_length_is_named(tmp_path: Path):
    path = tmp_path / "links.dat"
    path.write_bytes(fixed_record(ROW) + b"\r\n" + fixed_record(ROW)[:-3] + b"\r\n")
    with pytest.raises(LoadError, match="2 行目: レコード長"):
        load_links(path)


def test_a_full_load_ends_links_it_no_longer_lists_and_a_delta_does_not(tmp_path: Path):
    other = {
        **ROW,
        "serial_number": "DEF456",
        "resident_code": "22222222222",
        "atena_number": "2000000002",
    }
    load_links(write_csv(tmp_path, ROW, other))
    assert load_links(write_csv(tmp_path, ROW), delta=True).links_ended == 0
    assert SerialLink.objects.filter(valid_to__isnull=True).count() == 2
    # Half the open links would end: refused as a likely truncated export, unless forced.
    with pytest.raises(LoadError, match="2 件のうち 1 件"):
        load_links(write_csv(tmp_path, ROW))
    assert SerialLink.objects.filter(valid_to__isnull=True).count() == 2
    dry = load_links(write_csv(tmp_path, ROW), force=True, dry_run=True)
    assert (dry.dry_run, dry.links_ended) == (True, 1)
    assert SerialLink.objects.filter(valid_to__isnull=True).count() == 2
    assert load_links(write_csv(tmp_path, ROW), force=True).links_ended == 1
    assert SerialLink.objects.get(valid_to__isnull=False).serial == "DEF456"


def test_an_empty_full_load_is_refused_and_a_small_change_goes_through(tmp_path: Path):
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join([*COLUMNS, "my_number"]) + "\r\n", encoding="utf-8")
    with pytest.raises(LoadError, match="行がありません"):
        load_links(header_only)
    rows = [
        {**ROW, "serial_number": f"{n:X}", "resident_code": f"{n:011d}", "atena_number": str(n)}
        for n in range(100, 120)
    ]
    load_links(write_csv(tmp_path, *rows))
    # One of twenty ends (5 %): an ordinary day's change, within the share.
    assert load_links(write_csv(tmp_path, *rows[1:])).links_ended == 1


def test_keys_rotate_without_losing_a_number(tmp_path: Path, settings):
    load_links(write_csv(tmp_path, ROW))
    new_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    settings.MY_NUMBER_KEYS = [new_key, *settings.MY_NUMBER_KEYS]
    assert rotate_keys() == 1
    stored = bytes(Resident.objects.get().my_number_encrypted)
    assert Fernet(new_key.encode()).decrypt(stored) == b"123456789018"
    settings.MY_NUMBER_KEYS = settings.MY_NUMBER_KEYS[1:]
    with pytest.raises(InvalidToken):
        crypto.decrypt(stored)


@pytest.fixture
def identified(trusted) -> Application:
    path = next(g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(path.read_bytes(), path.name)
    return Application.objects.get()


def test_a_reviewer_reads_the_my_number_and_the_read_is_audited(client, identified, reviewer):
    sign_in(client, reviewer)
    url = f"/applications/{identified.receipt_number}/"
    page = client.get(url).content.decode()
    assert MASKED in page and 'data-testid="reveal-my-number"' in page
    number = crypto.decrypt(identified.resident.my_number_encrypted)
    assert number not in page
    revealed = client.post(f"{url}my-number/").content.decode()
    assert number in revealed
    event = AuditEvent.objects.get(action=AuditAction.MY_NUMBER_VIEWED)
    assert (event.actor, event.target_id) == (reviewer, identified.resident.resident_code)


def test_a_counter_clerk_sees_only_the_mask(client, identified, counter_clerk):
    sign_in(client, counter_clerk)
    url = f"/applications/{identified.receipt_number}/"
    page = client.get(url).content.decode()
    assert MASKED in page and "reveal-my-number" not in page
    assert client.post(f"{url}my-number/").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.MY_NUMBER_VIEWED).exists()


@pytest.fixture
def unidentified(trusted) -> Application:
    """Signed with a certificate whose serial the 住基 side never linked."""
    import_package(build(trusted.ca, spec("2026112600000099")), "u.zip")
    application = Application.objects.get()
    assert application.identification == Identification.UNIDENTIFIED
    return application


def test_a_reviewer_matches_an_unidentified_application_by_hand(client, unidentified, reviewer):
    resident = Resident.objects.first()
    sign_in(client, reviewer)
    url = f"/applications/{unidentified.receipt_number}/"
    assert "この住民として特定する" in client.get(url).content.decode()
    client.post(f"{url}resolve/", {"resident": resident.atena_number, "note": "電話で確認"})
    unidentified.refresh_from_db()
    assert (unidentified.identification, unidentified.resident) == (
        Identification.IDENTIFIED,
        resident,
    )
    event = AuditEvent.objects.get(action=AuditAction.IDENTIFICATION_CHANGED)
    assert (event.actor, event.extra["reason"], event.extra["note"]) == (
        reviewer,
        "manual",
        "電話で確認",
    )
    queue = client.get("/applications/queue/identification/").content.decode()
    assert unidentified.receipt_number not in queue


def test_a_reviewer_searches_the_registry_and_picks_a_candidate(client, unidentified, reviewer):
    resident = Resident.objects.order_by("id")[3]
    sign_in(client, reviewer)
    url = f"/applications/{unidentified.receipt_number}/"
    kana_start = resident.name_kana[:2]
    page = client.get(url, {"birth": resident.birth_date.isoformat(), "who": kana_start})
    found = [r.atena_number for r in page.context["registry_search"]["found"]]
    assert resident.atena_number in found
    assert f'value="{resident.atena_number}" data-testid="candidate"' in page.content.decode()
    searched = AuditEvent.objects.get(action=AuditAction.RESIDENTS_SEARCHED)
    assert (searched.actor, searched.extra["name"], searched.extra["count"]) == (
        reviewer,
        kana_start,
        len(found),
    )
    bad_day = client.get(url, {"birth": "2026-02-30"}).content.decode()
    assert "生年月日を正しく入力してください" in bad_day

    client.post(f"{url}resolve/", {"candidate": resident.atena_number, "note": "窓口で本人確認"})
    unidentified.refresh_from_db()
    assert unidentified.resident == resident
    assert unidentified.identification == Identification.IDENTIFIED


def test_a_counter_clerk_cannot_match_by_hand(client, unidentified, counter_clerk):
    sign_in(client, counter_clerk)
    url = f"/applications/{unidentified.receipt_number}/"
    page = client.get(url, {"birth": "1980-01-01"}).content.decode()
    assert "この住民として特定する" not in page
    assert 'data-testid="match-hint"' in page  # what to do instead
    assert not AuditEvent.objects.filter(action=AuditAction.RESIDENTS_SEARCHED).exists()
    queue = client.get("/applications/queue/identification/").content.decode()
    assert unidentified.receipt_number in queue
    resident = Resident.objects.first()
    response = client.post(f"{url}resolve/", {"resident": resident.atena_number, "note": "x"})
    assert response.status_code == 403
    unidentified.refresh_from_db()
    assert unidentified.identification == Identification.UNIDENTIFIED


def test_old_character_forms_and_width_do_not_need_review(tmp_path: Path, trusted):
    """The registry writes 髙橋 and a full-width space; the certificate 高橋 and a half-width."""
    load_links(write_csv(tmp_path, {**ROW, "serial_number": format(777, "X")}), delta=True)
    data = build(
        trusted.ca,
        spec("2026112600000077"),
        cert_kwargs={
            "serial": 777,
            "name": "高橋 花子",
            "birth_date": "419900101",
            "sex": "2",
            "address": "東京都千代田区千代田１番１号",
        },
    )
    import_package(data, "n.zip")
    application = Application.objects.get(receipt_number="2026112600000077")
    assert application.identification == Identification.IDENTIFIED


SIGNER = {
    **ROW,
    "serial_number": format(888, "X"),
    "resident_code": "33333333333",
    "atena_number": "3000000003",
    "name": "山田　太郎",
    "name_kana": "ヤマダ　タロウ",
    "birth_date": "1970-05-05",
    "sex": "1",
    "my_number": "",
}
SUBJECT = {
    **ROW,
    "serial_number": "F00D",
    "resident_code": "44444444444",
    "atena_number": "4000000004",
    "name": "山田　ハル",
    "name_kana": "ヤマダ　ハル",
    "birth_date": "1940-01-01",
    "my_number": "",
}


def proxy_package(ca, receipt: str, subject_name: str) -> bytes:
    return build(
        ca,
        spec(
            receipt,
            procedure_id="kaigo-nintei",
            submitter="proxy",
            form={"applicant_name": subject_name, "applicant_birth_date": "1940-01-01"},
        ),
        cert_kwargs={
            "serial": 888,
            "name": SIGNER["name"],
            "birth_date": "319700505",
            "sex": "1",
            "address": SIGNER["address"],
        },
    )


def test_a_proxy_application_identifies_signer_and_person_concerned(tmp_path: Path, trusted):
    load_links(write_csv(tmp_path, SIGNER, SUBJECT), delta=True)
    import_package(proxy_package(trusted.ca, "2026112600000088", "山田 ハル"), "p.zip")
    application = Application.objects.get()
    assert application.identification == Identification.IDENTIFIED
    assert application.signer.resident_code == SIGNER["resident_code"]
    assert application.resident.resident_code == SUBJECT["resident_code"]


def test_a_proxy_application_for_someone_not_in_the_registry_needs_review(tmp_path: Path, trusted):
    load_links(write_csv(tmp_path, SIGNER, SUBJECT), delta=True)
    import_package(proxy_package(trusted.ca, "2026112600000089", "山田 ナツ"), "p.zip")
    application = Application.objects.get()
    assert application.identification == Identification.NEEDS_REVIEW
    assert application.resident is None
    assert application.signer.resident_code == SIGNER["resident_code"]
    assert "申請内容の本人を住民記録で一意に特定できません" in application.identification_notes


def test_after_a_delta_load_re_issues_a_serial_old_and_new_applications_identify(
    tmp_path: Path, trusted
):
    jst = dt.timezone(dt.timedelta(hours=9))
    now = dt.datetime.now(jst).replace(microsecond=0)
    reissued_at = now - dt.timedelta(days=1)
    old, new = format(5001, "X"), format(5002, "X")
    load_links(write_csv(tmp_path, {**ROW, "serial_number": old}), delta=True)
    load_links(
        write_csv(
            tmp_path,
            {**ROW, "serial_number": old, "valid_to": reissued_at.isoformat()},
            {**ROW, "serial_number": new, "valid_from": reissued_at.isoformat()},
        ),
        delta=True,
    )
    person = {"name": ROW["name"], "birth_date": "419900101", "sex": "2", "address": ROW["address"]}
    before = build(
        trusted.ca,
        spec("2026112600000501", submitted_at=now - dt.timedelta(days=3)),
        cert_kwargs={**person, "serial": 5001},
    )
    after = build(
        trusted.ca,
        spec("2026112600000502", submitted_at=now - dt.timedelta(hours=1)),
        cert_kwargs={**person, "serial": 5002},
    )
    late_old = build(
        trusted.ca,
        spec("2026112600000503", submitted_at=now - dt.timedelta(hours=1)),
        cert_kwargs={**person, "serial": 5001},
    )
    for number, data in enumerate((before, after, late_old)):
        import_package(data, f"{number}.zip")
    resident = Resident.objects.get(resident_code=ROW["resident_code"])
    outcomes = {
        a.receipt_number: (a.identification, a.resident)
        for a in Application.objects.filter(receipt_number__startswith="20261126000005")
    }
    assert outcomes == {
        "2026112600000501": (Identification.IDENTIFIED, resident),
        "2026112600000502": (Identification.IDENTIFIED, resident),
        # The old certificate used after its link ended no longer finds anyone.
        "2026112600000503": (Identification.UNIDENTIFIED, None),
    }


def test_a_prefecture_identifies_by_a_typed_atena_number(trusted, reviewer, client, settings):
    """都道府県 mode (a prefecture has no 番号紐付情報): an application arrives 特定不可 with the
    reason; the reviewer types the prefecture's 宛名番号 and it is 特定済, the resident kept from
    the certificate's 基本4情報; the same number later names the same resident."""
    from django.core.checks import run_checks

    from conftest import sign_in
    from madoguchi.residents.identification import PREFECTURE_NOTE
    from madoguchi.residents.models import Resident

    settings.PREFECTURE_MODE = True
    first, second = trusted.packages[:2]
    import_package(first.read_bytes(), first.name)
    application = Application.objects.get()
    assert application.identification == Identification.UNIDENTIFIED
    assert application.identification_notes == [PREFECTURE_NOTE]
    sign_in(client, reviewer)
    detail = f"/applications/{application.receipt_number}/"
    page = client.get(detail).content.decode()
    assert 'data-testid="prefecture-mode"' in page and "住民記録を検索" not in page
    refused = client.post(f"{detail}resolve/", {"resident": "47-0123", "note": "電話で確認"})
    assert refused.status_code == 302
    application.refresh_from_db()
    assert application.identification == Identification.UNIDENTIFIED
    client.post(f"{detail}resolve/", {"resident": "4700123", "note": "電話で本人に確認"})
    application.refresh_from_db()
    assert application.identification == Identification.IDENTIFIED
    kept = application.resident
    assert kept.atena_number == "4700123"
    assert kept.name == application.evidence.signer_basic_four["name"]
    import_package(second.read_bytes(), second.name)
    other = Application.objects.exclude(pk=application.pk).get()
    client.post(
        f"/applications/{other.receipt_number}/resolve/", {"resident": "4700123", "note": "同一人"}
    )
    other.refresh_from_db()
    assert other.resident == kept
    assert Resident.objects.filter(atena_number="4700123").count() == 1
    # `madoguchi check` says when the mode and the 団体コード disagree.
    assert "madoguchi.W003" in {m.id for m in run_checks()}
    settings.PREFECTURE_MODE, settings.MUNICIPALITY_CODE = False, "130001"
    assert "madoguchi.W002" in {m.id for m in run_checks()}
