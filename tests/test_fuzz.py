"""Parsers that see internet-side or registry input never end in an unhandled exception:
whatever the bytes, the answer is a Rejection (or LoadError) with a reason."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from contextlib import suppress
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from madoguchi.intake.constants import Rejection
from madoguchi.intake.formats.madoguchi_pittari import read_package
from madoguchi.intake.signature import verify_signed_xml
from madoguchi.intake.zipsafe import read_zip
from madoguchi.procedures.schema import validate_form
from madoguchi.residents.actions import load_links
from madoguchi.residents.loader import COLUMNS, LoadError
from tests.builders import build

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NOW = dt.datetime.now(dt.UTC)


@FUZZ
@given(st.binary(max_size=4096))
def test_any_bytes_as_a_zip(data: bytes):
    with suppress(Rejection):
        read_zip(data)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@FUZZ
@given(st.dictionaries(st.text(min_size=1, max_size=40), st.binary(max_size=512), max_size=6))
@example({".": b""})  # found by this test: a name with no path parts
@example({"a/../../b": b"", "C:/x": b""})
def test_any_archive_layout(entries: dict[str, bytes]):
    try:
        data = _zip(entries)
    except (ValueError, IndexError):
        assume(False)  # zipfile itself refuses to *write* some names
    with suppress(Rejection):
        read_package(data, now=NOW)


XML_PIECES = st.sampled_from(
    [
        b"<",
        b">",
        b"</",
        b"/>",
        b"<?xml version='1.0'?>",
        b"<!DOCTYPE a>",
        b"<!ENTITY e 'x'>",
        b"&e;",
        b"<ds:Signature xmlns:ds='http://www.w3.org/2000/09/xmldsig#'>",
        b"</ds:Signature>",
        b"<Application xmlns='urn:madoguchi:pittari:1'>",
        b"</Application>",
        b"<!-- c -->",
        b"\xe7\x94\xb3",
        b"\x00",
        b"]]>",
        b"<![CDATA[",
        b"Id='x'",
        b" URI=''",
    ]
)


@pytest.mark.django_db
@FUZZ
@given(st.lists(st.one_of(XML_PIECES, st.binary(max_size=16)), max_size=40))
def test_any_xml_as_a_signed_form(pieces: list[bytes]):
    with suppress(Rejection):
        verify_signed_xml(b"".join(pieces), signing_time=NOW)


@pytest.mark.django_db
@FUZZ
@given(st.data())
def test_any_change_to_a_real_package(trusted, data):
    package = bytearray(_valid_package(trusted))
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(package) - 1))
        package[position] = data.draw(st.integers(0, 255))
    with suppress(Rejection):
        read_package(bytes(package), now=NOW)


_PACKAGES: dict[int, bytes] = {}


def _valid_package(trusted) -> bytes:
    key = id(trusted.ca)
    if key not in _PACKAGES:
        _PACKAGES[key] = build(trusted.ca)
    return _PACKAGES[key]


@pytest.mark.django_db
@FUZZ
@given(st.lists(st.lists(st.text(max_size=20), max_size=12), max_size=5), st.booleans())
def test_any_registry_csv(rows: list[list[str]], cp932: bool):
    text = ",".join(COLUMNS) + "\r\n" + "\r\n".join(",".join(row) for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "links.csv"
        try:
            path.write_bytes(text.encode("cp932" if cp932 else "utf-8"))
        except UnicodeEncodeError:
            return
        with suppress(LoadError):
            load_links(path)


@FUZZ
@given(st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=10))
def test_any_form_values(form: dict[str, str]):
    fields = [
        {
            "id": "a",
            "label": "A",
            "type": kind,
            "required": True,
            "max_length": 10,
            "length": 4,
            "choices": ["x"],
        }
        for kind in ("text", "kana", "date", "postal_code", "phone", "digits", "choice")
    ]
    errors = validate_form(fields, form)
    assert isinstance(errors, dict)
