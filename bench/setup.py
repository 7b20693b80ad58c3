"""What every benchmark does first: a Django of its own, in a fresh data folder."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

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
