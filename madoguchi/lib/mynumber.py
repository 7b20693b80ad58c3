"""個人番号 (My Number): the check digit of 行政手続における特定の個人を識別するための番号の
利用等に関する法律施行規則 第1条."""

from __future__ import annotations

from .codes import clean_number


def check_digit(first_eleven: str) -> int:
    """Weights are n+1 for the 1st–6th digit from the right, n−5 for the 7th–11th."""
    total = 0
    for n, digit in enumerate(reversed(first_eleven), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(digit) * weight
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(value: str) -> bool:
    return (
        len(value) == 12
        and value.isascii()
        and value.isdigit()
        and check_digit(value[:11]) == int(value[11])
    )


def parse_my_number(typed: str) -> str | None:
    """A 個人番号 as a person types it (spaces and hyphens allowed), or None when it is not
    one. Twelve identical digits pass the formula but are never issued: refused."""
    value = clean_number(typed)
    if not is_valid_my_number(value) or len(set(value)) == 1:
        return None
    return value


# What a screen shows in place of a 個人番号.
MASKED = "●" * 12
