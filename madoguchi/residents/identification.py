"""③-4: find the resident by the signing certificate's serial number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from madoguchi.applications.constants import Identification
from madoguchi.intake.certs import BasicFour
from madoguchi.lib.text import normalize_for_match

from .models import Resident, SerialLink


@dataclass
class IdentificationResult:
    outcome: Identification
    resident: Resident | None
    notes: list[str] = field(default_factory=list)


def find_link(serial: str, signing_time: dt.datetime) -> SerialLink | None:
    """The link that was valid when the certificate signed, so re-issued serials still resolve."""
    return (
        SerialLink.objects.select_related("resident")
        .filter(serial=serial, valid_from__lte=signing_time)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=signing_time))
        .order_by("-valid_from")
        .first()
    )


def compare_basic_four(resident: Resident, basic_four: BasicFour) -> list[str]:
    differences = []
    if normalize_for_match(resident.name) != normalize_for_match(basic_four.name):
        differences.append("氏名")
    if resident.birth_date.strftime("%Y%m%d") != basic_four.birth_date:
        differences.append("生年月日")
    if resident.sex != basic_four.sex:
        differences.append("性別")
    if normalize_for_match(resident.address) != normalize_for_match(basic_four.address):
        differences.append("住所")
    return differences


def candidates(basic_four: BasicFour | None, limit: int = 10) -> list[Resident]:
    """Residents a clerk may mean: same birth date and the same name once normalised."""
    if basic_four is None:
        return []
    raw = basic_four.birth_date
    try:
        birth_date = dt.date.fromisoformat(f"{raw[:4]}-{raw[4:6]}-{raw[6:]}")
    except ValueError:
        return []
    wanted = normalize_for_match(basic_four.name)
    same_day = Resident.objects.filter(birth_date=birth_date).order_by("resident_code")[:500]
    return [r for r in same_day if normalize_for_match(r.name) == wanted][:limit]


def identify(
    serial: str, signing_time: dt.datetime, basic_four: BasicFour | None
) -> IdentificationResult:
    link = find_link(serial, signing_time)
    if link is None:
        return IdentificationResult(Identification.UNIDENTIFIED, None, ["紐付情報なし"])
    if basic_four is None:
        return IdentificationResult(
            Identification.NEEDS_REVIEW, link.resident, ["証明書に基本4情報がありません"]
        )
    differences = compare_basic_four(link.resident, basic_four)
    if differences:
        notes = [f"{item}が住民記録と異なります" for item in differences]
        return IdentificationResult(Identification.NEEDS_REVIEW, link.resident, notes)
    return IdentificationResult(Identification.IDENTIFIED, link.resident)
