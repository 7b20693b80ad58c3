"""Codes and numbers of Japanese administration, checked in ASCII only (Python's ``\\d`` and
``str.isdigit`` also take full-width and other scripts' digits). Django-free."""

from __future__ import annotations

import re

ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
# 受付番号 as the portal assigns them; the fixed-length layouts give it this many bytes.
RECEIPT_NUMBER_MAX_LENGTH = 20
RECEIPT_NUMBER = re.compile(rf"[0-9A-Za-z][0-9A-Za-z-]{{0,{RECEIPT_NUMBER_MAX_LENGTH - 1}}}")
# 宛名番号: the municipality's own person id, digits; files give it this many bytes.
ATENA_NUMBER_MAX_LENGTH = 15


def is_digits(value: str, length: int | None = None) -> bool:
    """Only the ASCII digits 0–9 (and exactly ``length`` of them when given)."""
    return bool(ASCII_DIGITS.fullmatch(value)) and (length is None or len(value) == length)


def municipality_check_digit(first_five: str) -> int:
    """地方公共団体コード (総務省): weights 6,5,4,3,2; (11 − Σ mod 11) mod 10."""
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def is_valid_municipality_code(value: str) -> bool:
    """Six ASCII digits whose last is the check digit of the first five."""
    return is_digits(value, 6) and municipality_check_digit(value[:5]) == int(value[5])


def is_prefecture_code(value: str) -> bool:
    """A prefecture's own code is NN000C (the three digits after the prefecture are 000)."""
    return value[2:5] == "000"


def corporate_check_digit(base: str) -> int:
    """法人番号 (財務省令第70号 §2): the first digit is 9 − (Σ Pn×Qn mod 9), where Pn is the
    n-th digit from the right of the 12-digit base and Qn is 1 for odd n, 2 for even n."""
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return 9 - total % 9


def is_valid_corporate_number(value: str) -> bool:
    """13 ASCII digits, the check digit first."""
    return is_digits(value, 13) and corporate_check_digit(value[1:]) == int(value[0])


def clean_number(value: str) -> str:
    """A number as people type it: spaces and hyphens (half- or full-width) dropped; any
    other character is kept so that the check that follows refuses it."""
    return re.sub(r"[\s\u3000\-‐−－ー]", "", value)
