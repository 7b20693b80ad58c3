"""Fixtures of the tests in this folder (the shared ones are in the top conftest.py)."""

import datetime as dt

import pytest

from madoguchi.residents.models import Resident
from tests.browser import browser, page  # noqa: F401  (fixtures)


@pytest.fixture
def resident(db: None) -> Resident:
    return Resident.objects.create(
        resident_code="12345678901",
        atena_number="900001",
        name="介護　太郎",
        name_kana="カイゴ　タロウ",
        birth_date=dt.date(1945, 4, 1),
        sex="1",
        address="東京都千代田区千代田1-1",
    )
