"""The procedure catalog: versioned data files, refused clearly when malformed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from madoguchi.procedures.catalog import BUILTIN_DIR, load_catalog
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import CatalogError, validate_form

pytestmark = pytest.mark.django_db


def test_every_builtin_entry_loads(capsys):
    load_catalog()
    call_command("procedures", "list", "--json")
    listed = capsys.readouterr().out
    for path in BUILTIN_DIR.glob("*.toml"):
        assert f'"id": "{path.stem}"' in listed


def test_a_malformed_file_is_refused_with_file_and_line(tmp_path: Path):
    bad = tmp_path / "broken.toml"
    bad.write_text('id = "x"\nversion = "1"\nname = [unclosed\n', encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog([bad])
    assert caught.value.source == str(bad)
    assert caught.value.line == 3
    assert Procedure.objects.count() == 0


def test_a_structurally_wrong_file_names_what_is_wrong(tmp_path: Path):
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.1.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        source.replace('source = "form.bank_code"', 'source = "form.nothing"'), encoding="utf-8"
    )
    with pytest.raises(CatalogError, match="form.nothing"):
        load_catalog([bad])


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("duplicate_window_days = -1", "duplicate_window_days"),
        ('duplicate_window_days = "30"', "duplicate_window_days"),
        ('duplicate_key = ["nothing"]', "duplicate_key"),
    ],
)
def test_the_duplicate_rule_names_known_fields_and_days(tmp_path: Path, line: str, named: str):
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.1.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        source.replace("processing_days = 30", f"processing_days = 30\n{line}"), encoding="utf-8"
    )
    with pytest.raises(CatalogError, match=named):
        load_catalog([bad])


def test_a_loaded_version_cannot_change_silently(tmp_path: Path):
    load_catalog()
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.1.toml").read_text(encoding="utf-8")
    changed = tmp_path / "changed.toml"
    changed.write_text(
        source.replace("processing_days = 30", "processing_days = 20"), encoding="utf-8"
    )
    with pytest.raises(CatalogError, match="版を上げて"):
        load_catalog([changed])
    newer = tmp_path / "newer.toml"
    newer.write_text(
        changed.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2027.1"'),
        encoding="utf-8",
    )
    load_catalog([newer])
    versions = Procedure.objects.filter(
        procedure_id="jidou-teate-nintei", version__in=["2026.1", "2027.1"]
    )
    assert {(p.version, p.processing_days) for p in versions} == {("2026.1", 30), ("2027.1", 20)}


def test_form_errors_are_field_level_and_japanese():
    load_catalog()
    procedure = Procedure.objects.get(procedure_id="jidou-teate-nintei", version="2026.2")
    errors = validate_form(
        procedure.fields,
        {"applicant_name": "山田　花子", "applicant_kana": "やまだ", "bank_code": "12"},
    )
    assert errors["applicant_kana"] == ["全角カタカナで入力してください"]
    assert errors["bank_code"] == ["4 桁の数字で入力してください"]
    assert errors["applicant_birth_date"] == ["必須項目が入力されていません"]
    assert "applicant_name" not in errors


def test_a_structural_error_names_its_line(tmp_path: Path):
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.1.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(source.replace('type = "kana"', 'type = "katakana"', 1), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog([bad])
    line = bad.read_text(encoding="utf-8").splitlines()[caught.value.line - 1]
    assert line == 'id = "applicant_kana"'
    assert "type が不明" in caught.value.reason


def test_a_municipality_adds_its_own_entry_from_its_folder(tmp_path: Path, settings):
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.1.toml").read_text(encoding="utf-8")
    own = tmp_path / "own" / "city-kosodate-soudan"
    own.mkdir(parents=True)
    (own / "1.toml").write_text(
        source.replace('id = "jidou-teate-nintei"', 'id = "city-kosodate-soudan"').replace(
            'name = "児童手当 認定請求"', 'name = "子育て相談の予約"'
        ),
        encoding="utf-8",
    )
    settings.PROCEDURES_EXTRA_DIR = str(tmp_path / "own")
    report = load_catalog()
    assert "city-kosodate-soudan@2026.1" in report.created
    assert Procedure.objects.get(procedure_id="city-kosodate-soudan").name == "子育て相談の予約"


def test_a_loaded_versions_reading_note_is_kept_current_and_nothing_else(tmp_path: Path):
    load_catalog()
    source = (BUILTIN_DIR / "hoiku-genkyo" / "2026.2.toml").read_text(encoding="utf-8")
    noted = tmp_path / "noted.toml"
    noted.write_text(
        re.sub(r'^reading_note = ".*"$', 'reading_note = "様式の細部は未確認"', source, flags=re.M),
        encoding="utf-8",
    )
    report = load_catalog([noted])
    assert report.annotated == ["hoiku-genkyo@2026.2"] and report.created == []
    stored = Procedure.objects.get(procedure_id="hoiku-genkyo", version="2026.2")
    assert stored.definition["reading_note"] == "様式の細部は未確認"
    assert load_catalog([noted]).unchanged == ["hoiku-genkyo@2026.2"]
    # A note and a field together is a change of the version, refused as before.
    both = tmp_path / "both.toml"
    both.write_text(
        noted.read_text(encoding="utf-8").replace("processing_days = ", "processing_days = 1"),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="版を上げて"):
        load_catalog([both])


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('refused = { "当たる"', 'refused = { "公務員"', "refused"),
        ('refused = { "当たる" = "公', 'refused = { "当たる" = "" }\n# "', "refused"),
        ('group = "children", field = "living"', 'group = "kids", field = "living"', "bekkyo"),
        ('group = "children", field = "living"', 'group = "children", field = "x"', "bekkyo"),
        ('field = "living", equals = "別居" }\nmedia', 'field = "living" }\nmedia', "bekkyo"),
    ],
)
def test_a_refused_choice_and_an_attachments_condition_name_what_exists(
    tmp_path: Path, old: str, new: str, named: str
):
    source = (BUILTIN_DIR / "jidou-teate-nintei" / "2026.5.toml").read_text(encoding="utf-8")
    assert old in source
    bad = tmp_path / "bad.toml"
    bad.write_text(source.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CatalogError, match=named):
        load_catalog([bad])
