"""Filling a procedure's form from its catalog schema, as a resident would."""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from pathlib import Path
from typing import Any

from .people import Person, make_person, my_number

# The catalog is data that the municipality also configures on the portal; the simulator
# reads the same files (it does not import madoguchi's code).
CATALOG_DIR = Path(__file__).resolve().parent.parent / "madoguchi" / "procedures" / "catalog"


def version_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(part) if part.isdigit() else part for part in version.split("."))


def load_procedures(catalog_dir: Path = CATALOG_DIR) -> dict[str, dict[str, Any]]:
    """The newest version of each procedure: what the portal offers residents today."""
    procedures: dict[str, dict[str, Any]] = {}
    for path in sorted(catalog_dir.rglob("*.toml")):
        definition = tomllib.loads(path.read_text(encoding="utf-8"))
        current = procedures.get(definition["id"])
        if current is None or version_key(definition["version"]) > version_key(current["version"]):
            procedures[definition["id"]] = definition
    return procedures


def fill_form(
    definition: dict[str, Any],
    applicant: Person,
    child: Person | None,
    rng: random.Random,
    today: dt.date,
) -> dict[str, str]:
    """Every field as a resident fills it: a repeating group (type "group") with 1 to 4
    entries, keyed "<group>.<n>.<field>" (docs/catalog.md); a field that is required only
    when another has a value (required_when) left empty when that other does not."""
    form: dict[str, str] = {}
    for field in definition["fields"]:
        if field["type"] == "group":
            form |= _fill_group(field, applicant, child, rng, today)
            continue
        form[field["id"]] = _value(field, applicant, child, rng)
    for field in definition["fields"]:
        condition = field.get("required_when")
        if condition and not _holds(condition, form):
            del form[field["id"]]
    for group in (f for f in definition["fields"] if f["type"] == "group"):
        _drop_unasked(group, form)
    return form


def _drop_unasked(group: dict[str, Any], form: dict[str, str]) -> None:
    """Inside an entry, a condition names a field of the same entry first, then of the form
    (docs/catalog.md): what it does not ask is left empty, as a resident leaves it."""
    prefix = group["id"] + "."
    numbers = {key.split(".")[1] for key in form if key.startswith(prefix)}
    for number in numbers:
        entry = {
            sub["id"]: form.get(f"{prefix}{number}.{sub['id']}", "") for sub in group["fields"]
        }
        for sub in group["fields"]:
            condition = sub.get("required_when")
            if condition and not _holds(condition, form | entry):
                form.pop(f"{prefix}{number}.{sub['id']}", None)


def _holds(condition: dict[str, Any], values: dict[str, str]) -> bool:
    value = values.get(condition["field"], "")
    return value in condition["in"] if "in" in condition else value == condition["equals"]


def _fill_group(
    group: dict[str, Any],
    applicant: Person,
    child: Person | None,
    rng: random.Random,
    today: dt.date,
) -> dict[str, str]:
    low = max(1, int(group.get("min_entries", 0)))
    count = rng.randint(low, max(low, min(4, int(group["max_entries"]))))
    entries: dict[str, str] = {}
    for number in range(1, count + 1):
        # Siblings: the first child as generated, the others of the same family, older.
        sibling = child
        if child is not None and number > 1:
            sibling = make_person(
                rng,
                age_range=(number * 2, min(21, number * 5)),
                today=today,
                surname=(applicant.surname, applicant.surname_kana),
                address=(applicant.postal_code, applicant.address),
                phone=applicant.phone,
            )
        for field in group["fields"]:
            value = _value(field, applicant, sibling, rng)
            if field.get("semantic") == "child.living" and rng.random() < 0.15:
                value = "別居"  # at a school far away, with the other parent, …
            if field.get("semantic") == "child.over_18_support":
                adult = sibling is not None and _age(sibling, today) >= 18
                value = rng.choice(["あり", "なし"]) if adult else ""
            if value or field.get("required"):
                entries[f"{group['id']}.{number}.{field['id']}"] = value
    return entries


def _age(person: Person, today: dt.date) -> int:
    born = person.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _value(
    field: dict[str, Any], applicant: Person, child: Person | None, rng: random.Random
) -> str:
    semantic = field.get("semantic", "")
    by_semantic: dict[str, str] = {
        "applicant.name": applicant.name,
        "applicant.kana": applicant.kana,
        "applicant.birth_date": applicant.birth_date.isoformat(),
        "applicant.postal_code": applicant.postal_code,
        "applicant.address": applicant.address,
        "applicant.phone": applicant.phone,
        "applicant.my_number": applicant.my_number,
        "bank.holder_kana": applicant.kana,
    }
    if child is not None:
        by_semantic |= {
            "child.name": child.name,
            "child.kana": child.kana,
            "child.birth_date": child.birth_date.isoformat(),
            "child.relationship": "子",
            "child.living": "同居",
            "child.my_number": child.my_number,
        }
    if semantic in by_semantic:
        return by_semantic[semantic]
    kind = field["type"]
    if kind == "choice":
        # A choice the office refuses (docs/catalog.md: refused) is not what an applicant
        # who may apply picks.
        allowed = [c for c in field["choices"] if c not in field.get("refused", {})]
        return str(rng.choice(allowed or field["choices"]))
    if kind == "digits":
        length = int(field.get("length") or rng.randint(1, min(int(field.get("max_length", 6)), 6)))
        return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(length - 1))
    if kind == "postal_code":
        return "100-0001"
    if kind == "phone":
        return applicant.phone
    if kind == "date":
        return (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300))).isoformat()
    if kind == "kana":
        return "テスト"
    if kind == "my_number":  # someone else's (a spouse's): a number of the right form
        return my_number(rng)
    if semantic == "doctor.name":
        return rng.choice(["田中 医師", "鈴木 医師", "伊藤 医師"]).replace(" 医師", " 健")
    if semantic == "doctor.clinic":
        return rng.choice(["千代田クリニック", "神田内科医院", "九段坂病院"])
    return "記入例"
