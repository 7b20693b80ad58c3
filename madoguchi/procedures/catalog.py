"""Loading the catalog files (TOML, one per procedure version) into the database."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.accounts.models import Department

from .models import Procedure
from .schema import CatalogError, check_definition

BUILTIN_DIR = Path(__file__).resolve().parent / "catalog"


def catalog_files() -> list[Path]:
    """Our catalog, then the municipality's own folder (whose entries win on equal id+version)."""
    files = sorted(BUILTIN_DIR.rglob("*.toml"))
    if settings.PROCEDURES_EXTRA_DIR:
        files += sorted(Path(settings.PROCEDURES_EXTRA_DIR).rglob("*.toml"))
    return files


@dataclass
class LoadReport:
    created: list[str]
    unchanged: list[str]
    # Versions whose reading note alone was rewritten (see COMMENTARY).
    annotated: list[str] = field(default_factory=list)


# What a loaded version may still change: the catalog maintainers' commentary on how the
# entry was read from the real form. Everything an applicant files, a clerk checks or a core
# system receives stays as first loaded; a note about what could not be confirmed is kept
# current on the version it describes.
COMMENTARY = ("reading_note",)


def _without_commentary(definition: dict) -> dict:
    return {k: v for k, v in definition.items() if k not in COMMENTARY}


def read_file(path: Path) -> tuple[dict, str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
        definition = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise CatalogError(str(path), _("UTF-8 で保存してください")) from exc
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's tomllib gives the position only in the message.
        found = re.search(r"at line (\d+)", str(exc))
        raise CatalogError(str(path), str(exc), int(found.group(1)) if found else None) from exc
    check_definition(definition, str(path), text)
    return definition, hashlib.sha256(raw).hexdigest()


# Each version of the catalog read and checked: (id, version) → (definition, sha256, file).
Entries = dict[tuple[str, str], tuple[dict, str, Path]]


def read_catalog(files: list[Path] | None = None) -> Entries:
    """Read and check every file (ours, then the municipality's); a malformed file raises
    CatalogError with its place."""
    entries: Entries = {}
    for path in files if files is not None else catalog_files():
        definition, digest = read_file(path)
        entries[(definition["id"], definition["version"])] = (definition, digest, path)
    return entries


@transaction.atomic
def load_catalog(files: list[Path] | None = None, *, entries: Entries | None = None) -> LoadReport:
    """Load every file, or none: a malformed file stops the whole load. ``entries`` are
    files already read (read_catalog), as the test session reads them once."""
    if entries is None:
        entries = read_catalog(files)
    report = LoadReport(created=[], unchanged=[])
    loaded = {
        (p.procedure_id, p.version): p
        for p in Procedure.objects.filter(procedure_id__in={pid for pid, _v in entries})
        .select_related("department")
        .order_by("loaded_at", "pk")
    }
    # The 課 that handles each procedure now: its latest version's (the municipality's
    # choice, procedures/actions.py); a new version goes there too.
    handling = {p.procedure_id: p.department for p in loaded.values()}
    departments: dict[str, Department] = {}
    new = []
    for (procedure_id, version), (definition, digest, path) in entries.items():
        label = f"{procedure_id}@{version}"
        existing = loaded.get((procedure_id, version))
        if existing is not None:
            if existing.definition != definition and _without_commentary(
                existing.definition
            ) == _without_commentary(definition):
                existing.definition = definition
                existing.content_sha256 = digest
                existing.save(update_fields=["definition", "content_sha256"])
                report.annotated.append(label)
                continue
            if existing.definition != definition:
                raise CatalogError(
                    str(path),
                    _("版 %(v)s は読込済みで内容が異なります。変更するときは版を上げてください")
                    % {"v": version},
                )
            report.unchanged.append(label)
            continue
        if procedure_id not in handling:
            handling[procedure_id] = _catalog_department(definition, departments)
        new.append(
            Procedure(
                procedure_id=procedure_id,
                version=version,
                name=definition["name"],
                legal_basis=definition.get("legal_basis", ""),
                department=handling[procedure_id],
                core_system=definition["core_system"],
                processing_days=definition["processing_days"],
                definition=definition,
                content_sha256=digest,
                source=path.name,
            )
        )
        report.created.append(label)
    # One INSERT for the lot: a test session loads the catalog for every test.
    Procedure.objects.bulk_create(new)
    return report


def _catalog_department(definition: dict[str, Any], known: dict[str, Department]) -> Department:
    """The 課 the catalog names for a procedure no 課 handles yet, followed through a 組織改正
    to the 課 it was merged into (``known``: those already looked up in this load)."""
    code = definition["department"]["code"]
    if code not in known:
        department, _created = Department.objects.get_or_create(
            code=code, defaults={"name": definition["department"]["name"]}
        )
        while department.merged_into_id is not None:
            department = Department.objects.get(pk=department.merged_into_id)
        known[code] = department
    return known[code]
