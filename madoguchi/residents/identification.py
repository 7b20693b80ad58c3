"""③-4: find the resident by the signing certificate's serial number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from madoguchi.lib.jpki import BasicFour
from madoguchi.lib.text import GETA, matches_with_substitutes, normalize_for_match
from madoguchi.vocabulary import Identification

from .models import Resident, SerialLink


@dataclass
class IdentificationResult:
    outcome: Identification
    resident: Resident | None
    notes: list[str] = field(default_factory=list)


def find_resident(serial: str, signing_time: dt.datetime) -> Resident | None:
    """The resident whose link was valid when the certificate signed, so that re-issued
    serials still resolve. Asked for every package: the SQL is written once (building it
    through the ORM cost more than running it); the time goes in as the ORM would pass it."""
    when = connection.ops.adapt_datetimefield_value(signing_time)
    found = Resident.objects.raw(
        f"SELECT r.* FROM {Resident._meta.db_table} r"  # noqa: S608 (the models' own tables)
        f" JOIN {SerialLink._meta.db_table} l ON l.resident_id = r.id"
        " WHERE l.serial = %s AND l.valid_from <= %s AND (l.valid_to IS NULL OR l.valid_to > %s)"
        " ORDER BY l.valid_from DESC LIMIT 1",
        [serial, when, when],
    )
    return next(iter(found), None)


SUBSTITUTE_NOTE = "%sに代替文字あり(外字のため住民記録と異なる文字が使われています)"
GETA_NOTE = "住民記録の%sに文字の無い外字(〓)があります。証明書の表記と照らしてください"


def compare_basic_four(resident: Resident, basic_four: BasicFour) -> tuple[list[str], list[str]]:
    """(items that differ, items that use a 代替文字), in the order 氏名 生年月日 性別 住所.

    A substitute position may differ from the registry without blocking identification
    (DESIGN.md §3.1)."""
    name_positions, address_positions = basic_four.name_positions, basic_four.address_positions
    checks = [
        ("氏名", matches_with_substitutes(resident.name, basic_four.name, name_positions)),
        ("生年月日", resident.birth_date.isoformat() == basic_four.birth_date),
        ("性別", resident.sex == basic_four.sex),
        ("住所", matches_with_substitutes(resident.address, basic_four.address, address_positions)),
    ]
    substituted = [
        item
        for item, positions in (("氏名", name_positions), ("住所", address_positions))
        if positions is None or positions
    ]
    return [item for item, same in checks if not same], substituted


def residents_named(name: str, birth_date: str, limit: int = 10) -> list[Resident]:
    """Residents with this birth date (YYYYMMDD or YYYY-MM-DD) and this name, normalised."""
    digits = birth_date.replace("-", "")
    try:
        day = dt.date.fromisoformat(f"{digits[:4]}-{digits[4:6]}-{digits[6:]}")
    except ValueError:
        return []
    wanted = normalize_for_match(name)
    same_day = Resident.objects.filter(birth_date=day).order_by("resident_code")[:500]
    return [r for r in same_day if normalize_for_match(r.name) == wanted][:limit]


def search_residents(text: str, birth_date: dt.date, limit: int = 20) -> list[Resident]:
    """Residents born that day whose name or kana begins with ``text`` (normalised: width,
    kana, old forms and spaces do not matter); all of that day when ``text`` is empty."""
    wanted = normalize_for_match(text)
    same_day = Resident.objects.filter(birth_date=birth_date).order_by("name_kana", "id")[:500]
    return [
        r
        for r in same_day
        if normalize_for_match(r.name).startswith(wanted)
        or normalize_for_match(r.name_kana).startswith(wanted)
    ][:limit]


def candidates(basic_four: BasicFour | None) -> list[Resident]:
    """Residents a clerk may mean: same birth date and the same name once normalised."""
    if basic_four is None:
        return []
    return residents_named(basic_four.name, basic_four.birth_date)


def identify_person_concerned(
    signer: IdentificationResult, name: str, birth_date: str
) -> IdentificationResult:
    """代理申請: the signer is the proxy; the person concerned is who the form names."""
    found = residents_named(name, birth_date, limit=2)
    if len(found) == 1 and signer.outcome == Identification.IDENTIFIED:
        return IdentificationResult(Identification.IDENTIFIED, found[0], ["代理申請"])
    notes = ["代理申請", *signer.notes]
    if len(found) != 1:
        notes.append("申請内容の本人を住民記録で一意に特定できません")
    outcome = (
        Identification.NEEDS_REVIEW
        if signer.outcome == Identification.IDENTIFIED
        else signer.outcome
    )
    return IdentificationResult(outcome, found[0] if len(found) == 1 else None, notes)


PREFECTURE_NOTE = (
    "都道府県の申請管理システムには番号紐付情報がありません。"
    "審査担当が宛名番号を入力して本人を特定します"
)


def identify(
    serial: str, signing_time: dt.datetime, basic_four: BasicFour | None
) -> IdentificationResult:
    if settings.PREFECTURE_MODE:
        return IdentificationResult(Identification.UNIDENTIFIED, None, [PREFECTURE_NOTE])
    resident = find_resident(serial, signing_time)
    if resident is None:
        return IdentificationResult(
            Identification.UNIDENTIFIED,
            None,
            ["証明書のシリアル番号に対応する番号紐付情報がありません"],
        )
    if basic_four is None:
        return IdentificationResult(
            Identification.NEEDS_REVIEW, resident, ["証明書に基本4情報がありません"]
        )
    differences, substituted = compare_basic_four(resident, basic_four)
    notes = [SUBSTITUTE_NOTE % item for item in substituted]
    if differences:
        notes = [f"{item}が住民記録と異なります" for item in differences] + notes
        return IdentificationResult(Identification.NEEDS_REVIEW, resident, notes)
    # A registry 外字 loaded as 〓 matched any character: a clerk compares that one.
    geta = [
        item
        for item, value in (("氏名", resident.name), ("住所", resident.address))
        if GETA in value
    ]
    if geta:
        notes += [GETA_NOTE % item for item in geta]
        return IdentificationResult(Identification.NEEDS_REVIEW, resident, notes)
    return IdentificationResult(Identification.IDENTIFIED, resident, notes)
