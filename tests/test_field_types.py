"""The catalog's field types, one class each (procedures/fields/): every type the catalog
uses is registered and answers for itself, and a new type is one class — the catalog check,
the validation, the counter's input, the fixed width and the sealing all take it from there."""

from __future__ import annotations

import tomllib
from typing import Any, ClassVar

import pytest
from django.utils.translation import gettext_lazy

from madoguchi.applications.sealing import has_my_number
from madoguchi.linking.batch import fixed_width
from madoguchi.procedures.catalog import BUILTIN_DIR
from madoguchi.procedures.fields import FIELD_TYPES, FieldType, field_type, sealed
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import (
    GROUP,
    CatalogError,
    all_fields,
    check_definition,
    validate_form,
)


def catalog_types() -> set[str]:
    return {
        str(field["type"])
        for path in BUILTIN_DIR.rglob("*.toml")
        for field in all_fields(tomllib.loads(path.read_text(encoding="utf-8"))["fields"])
        if field.get("type") != GROUP
    }


def test_every_type_the_catalog_uses_is_registered_and_labelled_in_japanese():
    assert catalog_types() <= set(FIELD_TYPES)
    for name, kind in FIELD_TYPES.items():
        assert kind.name == name and str(kind.label)
        assert not str(kind.label).isascii()


@pytest.mark.parametrize(
    ("field", "good", "bad", "reason"),
    [
        ({"type": "kana"}, "ヤマダ　タロウ", "やまだ", "全角カタカナ"),
        ({"type": "date"}, "2026-02-28", "2026-02-30", "実在する日"),
        ({"type": "postal_code"}, "100-0001", "1000001", "123-4567"),
        ({"type": "phone"}, "03-1234-5678", "1234", "0 から始まる"),
        ({"type": "digits", "length": 4}, "0123", "123", "4 桁"),
        ({"type": "choice", "choices": ["有", "無"]}, "有", "他", "選択肢"),
        ({"type": "corporate_number"}, "7000012050002", "7000012050003", "法人番号"),
        ({"type": "my_number"}, "123456789018", "123456789012", "個人番号"),
        ({"type": "text", "max_length": 3}, "あいう", "あいうえ", "3 文字以内"),
    ],
)
def test_each_type_accepts_its_values_and_says_why_it_refuses_others(field, good, bad, reason):
    kind = field_type(field["type"])
    assert kind.errors(field, good) == []
    assert len(good) <= kind.max_length(field)
    (problem,) = kind.errors(field, bad)
    assert reason in problem


def test_a_date_is_shown_in_wareki_and_only_ascii_types_take_a_byte_a_character():
    assert field_type("date").display("2019-05-01") == "令和元年5月1日"
    assert field_type("text").display("2019-05-01") == "2019-05-01"
    assert field_type("date").export_width({"type": "date"}) == 10
    assert field_type("kana").export_width({"type": "kana", "max_length": 20}) == 40


class EraYear(FieldType):
    """A 和暦 year as people write it (令和8): the type a new procedure might need."""

    name: ClassVar[str] = "era_year"
    label = gettext_lazy("和暦の年")
    longest = 5
    hint = gettext_lazy("例: 令和8")

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        era, year = value[:2], value[2:]
        if era not in ("昭和", "平成", "令和") or not year.isdigit():
            return ["令和8 のように元号と年で入力してください"]
        return []


@pytest.fixture
def era_year(monkeypatch) -> FieldType:
    """EraYear registered (as `@register` would) for this test only."""
    monkeypatch.setitem(FIELD_TYPES, EraYear.name, EraYear())
    return FIELD_TYPES[EraYear.name]


def definition(field_type_name: str, **more: Any) -> dict[str, Any]:
    return {
        "id": "new-procedure",
        "version": "2026.1",
        "name": "新しい手続",
        "department": {"code": "kosodate", "name": "子育て支援課"},
        "core_system": "jidou_teate",
        "processing_days": 10,
        "fields": [{"id": "year", "label": "年", "type": field_type_name, **more}],
        "export": {"columns": [{"header": "年", "source": "form.year"}]},
    }


@pytest.mark.django_db
def test_a_new_type_is_one_class_and_every_part_of_the_system_takes_it(era_year):
    with pytest.raises(CatalogError):
        check_definition(definition("era_yaer"), "new.toml")
    check_definition(definition("era_year"), "new.toml")
    fields = definition("era_year")["fields"]
    assert validate_form(fields, {"year": "令和8"}) == {}
    assert validate_form(fields, {"year": "2026"}) == {
        "year": ["令和8 のように元号と年で入力してください"]
    }
    assert validate_form(fields, {"year": "令和12345"}) == {
        "year": ["5 文字以内で入力してください"]
    }
    procedure = Procedure(
        procedure_id="new-procedure", version="2026.1", definition=definition("era_year")
    )
    assert fixed_width(procedure, "form.year") == 10  # five characters of up to two bytes
    assert not sealed(fields[0]) and not has_my_number(fields)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("ヤマダ　タロウ", True),
        ("スミス・ジョン", True),  # the middle dot of a foreign name
        ("ヴァン　ヶ", True),
        ("ヷ", False),  # U+30F7: not in JIS X 0208 or CP932
        ("ア゠イ", False),  # U+30A0
        ("ヤマダ𠮷", False),
    ],
)
def test_a_kana_field_takes_the_katakana_a_core_system_takes(value, ok):
    assert (field_type("kana").errors({"type": "kana"}, value) == []) is ok


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("𠮷田　太郎", "「𠮷」(U+20BB7)"),
        ("森　鷗外", "「鷗」(U+9DD7)"),
        ("¥1,000", "「¥」(U+00A5)"),
        ("山田😀", "「😀」(U+1F600)"),
        ("葛\U000e0100城", "(U+E0100)"),  # an ideographic variation selector
    ],
)
def test_a_text_field_warns_of_a_character_a_cp932_core_system_cannot_take(value, named):
    """Never refused (the applicant signed it): a warning beside the field, now, instead of a
    hold at hand-over; 髙 and 﨑 are in CP932 and pass."""
    field = {"type": "text", "id": "applicant_name"}
    kind = field_type("text")
    assert kind.errors(field, value) == []
    (warning,) = kind.warnings(field, value, [field], {"applicant_name": value})
    assert named in warning and "CP932" in warning
    assert kind.warnings(field, "髙橋　﨑子", [field], {}) == []
