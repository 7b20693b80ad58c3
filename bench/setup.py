"""What every benchmark does first: a Django of its own, in a fresh data folder."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def start_django(database_url: str | None) -> Path:
    """Settings for a throw-away data folder (SQLite in it unless a URL is given), Django
    set up and migrated, the catalog loaded; the work folder is returned."""
    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="madoguchi-bench-"))
    os.environ["MADOGUCHI_DATA_DIR"] = str(work / "data")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The municipality pittari-sim generates for (東京都千代田区).
    os.environ.setdefault("MADOGUCHI_MUNICIPALITY_CODE", "131016")

    import django

    django.setup()
    from django.core.management import call_command

    from madoguchi.procedures.catalog import load_catalog

    call_command("migrate", verbosity=0)
    load_catalog()
    return work


def trust_portal(portal: Path) -> None:
    """Load what `pittari-sim generate` wrote into PORTAL: CA, its CRL, 番号紐付情報."""
    from madoguchi.intake.actions import add_trust_anchor, load_crl
    from madoguchi.residents.actions import load_links
    from pittari_sim.generate import load_or_create_ca

    add_trust_anchor(load_or_create_ca(portal).cert_pem())
    load_crl((portal / "trust" / "ca.crl").read_bytes())
    load_links(portal / "registry" / "links.csv")


def copy_applications(count: int, prefix: str, received_at: Any = None) -> None:
    """Fill the database up to ``count`` applications by copying those stored (with their
    forms and search columns), under 受付番号 ``prefix`` + 15 digits; ``received_at(n)``
    gives the n-th copy's 受付日時 (else the source's)."""
    from madoguchi.applications.models import Application

    sources = list(Application.objects.all())
    copies = []
    for n in range(count - len(sources)):
        source = sources[n % len(sources)]
        copy = Application(
            **{
                f.attname: getattr(source, f.attname)
                for f in Application._meta.concrete_fields
                if f.attname not in ("id", "receipt_number")
            }
        )
        copy.receipt_number = f"{prefix}{n:015d}"
        if received_at is not None:
            copy.received_at = received_at(n)
        copies.append(copy)
    Application.objects.bulk_create(copies, batch_size=1000)


def signed_in_reviewer() -> Any:
    """A 子育て支援課 reviewer, and a test client logged in as them past the second factor."""
    from django.test import Client

    from madoguchi.accounts.models import Department, User
    from madoguchi.accounts.second_factor import VERIFIED
    from madoguchi.vocabulary import Role

    reviewer = User.objects.create_user(
        "bench-reviewer",
        password="x" * 16,
        role=Role.REVIEWER,
        department=Department.objects.get(code="kosodate"),
    )
    client = Client()
    client.force_login(reviewer)
    session = client.session
    session[VERIFIED] = True
    session.save()
    return reviewer, client
