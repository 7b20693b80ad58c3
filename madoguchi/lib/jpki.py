"""The 署名用電子証明書 of a マイナンバーカード: its 基本4情報 as the J-LIS profile lays them out
(DESIGN.md §3.1), and its serial number. Django-free.

subjectAltName carries six ``otherName`` entries:

==========================  ===========================================================
1.2.392.200149.8.5.5.1      氏名 (surname and given name separated by a full-width space)
1.2.392.200149.8.5.5.2      氏名代替文字の使用位置
1.2.392.200149.8.5.5.3      性別: 1 男, 2 女, 3 不明
1.2.392.200149.8.5.5.4      生年月日: 元号区分 (1 明治 … 5 令和, 0 不明) + Gregorian YYYYMMDD
1.2.392.200149.8.5.5.5      住所 (from the prefecture, no postal code)
1.2.392.200149.8.5.5.6      住所代替文字の使用位置
==========================  ===========================================================

A name or address the card cannot print exactly (外字) carries a substitute character (代替文字).
The 使用位置 field holds one flag per character of its value, ``0`` where the character is as
registered; any other flag marks a substitute at that position.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from .wareki import era_of

OID_NAME = x509.ObjectIdentifier("1.2.392.200149.8.5.5.1")
OID_NAME_SUBSTITUTES = x509.ObjectIdentifier("1.2.392.200149.8.5.5.2")
OID_SEX = x509.ObjectIdentifier("1.2.392.200149.8.5.5.3")
OID_BIRTH_DATE = x509.ObjectIdentifier("1.2.392.200149.8.5.5.4")
OID_ADDRESS = x509.ObjectIdentifier("1.2.392.200149.8.5.5.5")
OID_ADDRESS_SUBSTITUTES = x509.ObjectIdentifier("1.2.392.200149.8.5.5.6")

# 元号区分, the first digit of the birth date.
ERA_CODES = {"0": "不明", "1": "明治", "2": "大正", "3": "昭和", "4": "平成", "5": "令和"}
SEXES = {"1", "2", "3"}
_BIRTH_DATE_RE = re.compile(r"[0-5][0-9]{8}", re.ASCII)
_STRING_TAGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x1E: "utf-16-be"}


def serial_hex(certificate: x509.Certificate) -> str:
    """The serial number as the 住基 side's 番号紐付情報 writes it: upper-case hex."""
    return format(certificate.serial_number, "X")


def der_string(value: bytes) -> str:
    """Decode one DER string (UTF8String, PrintableString, IA5String or BMPString)."""
    if len(value) < 2 or value[0] not in _STRING_TAGS:
        raise ValueError("not a DER string")
    length = value[1]
    offset = 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 3:
            raise ValueError("bad DER length")
        length = int.from_bytes(value[2 : 2 + count], "big")
        offset = 2 + count
    body = value[offset : offset + length]
    if len(body) != length or offset + length != len(value):
        raise ValueError("DER string of the wrong length")
    return body.decode(_STRING_TAGS[value[0]])


def parse_birth_date(value: str) -> tuple[str, str]:
    """(元号区分, ISO date) of the card's ``EYYYYMMDD``; ('', '') when it is not one."""
    if not _BIRTH_DATE_RE.fullmatch(value):
        return "", ""
    try:
        day = dt.date(int(value[1:5]), int(value[5:7]), int(value[7:9]))
    except ValueError:
        return "", ""
    return value[0], day.isoformat()


def era_agrees(era: str, iso_date: str) -> bool:
    """Whether the card's 元号区分 names the era its birth date falls in (0 不明 agrees with
    any date; a digit outside the table or an unreadable date does not)."""
    if era == "0":
        return True
    try:
        day = dt.date.fromisoformat(iso_date)
    except ValueError:
        return False
    return ERA_CODES.get(era) == era_of(day)


def substitute_positions(value: str, flags: str) -> frozenset[int] | None:
    """Indexes of ``value`` that are 代替文字; None when the flags say there are some but
    cannot be aligned with the value (then the whole value may differ)."""
    if not flags or set(flags) <= {"0"}:
        return frozenset()
    if len(flags) != len(value):
        return None
    return frozenset(i for i, flag in enumerate(flags) if flag != "0")


@dataclass(frozen=True)
class BasicFour:
    """基本4情報 as the certificate carries them; ``birth_date`` is ISO (or '' when unreadable)."""

    name: str
    birth_date: str
    sex: str
    address: str
    era: str = ""
    raw_birth_date: str = ""
    name_substitutes: str = ""
    address_substitutes: str = ""

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate) -> BasicFour | None:
        try:
            san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except (x509.ExtensionNotFound, ValueError):
            return None
        values: dict[x509.ObjectIdentifier, str] = {}
        for other in san.value.get_values_for_type(x509.OtherName):
            try:
                values[other.type_id] = der_string(other.value)
            except (ValueError, UnicodeDecodeError):
                continue
        if OID_NAME not in values:
            return None
        raw_birth_date = values.get(OID_BIRTH_DATE, "")
        era, birth_date = parse_birth_date(raw_birth_date)
        return cls(
            name=values[OID_NAME],
            birth_date=birth_date,
            sex=values.get(OID_SEX, ""),
            address=values.get(OID_ADDRESS, ""),
            era=era,
            raw_birth_date=raw_birth_date,
            name_substitutes=values.get(OID_NAME_SUBSTITUTES, ""),
            address_substitutes=values.get(OID_ADDRESS_SUBSTITUTES, ""),
        )

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> BasicFour:
        """From evidence stored by any version (older rows hold birth dates as YYYYMMDD)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: str(v) for k, v in stored.items() if k in known}
        birth_date = values.get("birth_date", "")
        if re.fullmatch(r"[0-9]{8}", birth_date, re.ASCII):
            values["birth_date"] = f"{birth_date[:4]}-{birth_date[4:6]}-{birth_date[6:]}"
        return cls(**({"name": "", "birth_date": "", "sex": "", "address": ""} | values))

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    @property
    def name_positions(self) -> frozenset[int] | None:
        return substitute_positions(self.name, self.name_substitutes)

    @property
    def address_positions(self) -> frozenset[int] | None:
        return substitute_positions(self.address, self.address_substitutes)
