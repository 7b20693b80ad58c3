"""Shared fixtures: a generated PKI and portal data, trust loaded, and staff personas.

Personas (STYLE.md §8): 窓口担当 and 審査担当 of 子育て支援課, a clerk of 介護保険課, and the
system administrator.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from madoguchi.accounts.models import Department, User
from madoguchi.accounts.second_factor import VERIFIED
from madoguchi.applications.tasks import collect_acknowledgements, export_portal_updates
from madoguchi.intake.actions import add_trust_anchor, load_crl
from madoguchi.operations.worker import drain
from madoguchi.procedures.catalog import Entries, load_catalog, read_catalog
from madoguchi.relay.passes import pull_once, push_statuses
from madoguchi.relay.portal import PortalClient
from madoguchi.relay.spool import Spool, public_key_of
from madoguchi.residents.actions import load_links
from madoguchi.vocabulary import Role
from pittari_sim.generate import Generated, generate, load_or_create_ca
from pittari_sim.pki import CA
from pittari_sim.server import Portal as SimulatedPortal
from pittari_sim.server import make_server

PASSWORD = "correct-horse-battery-staple"


@functools.cache
def _openapi() -> Any:
    from openapi_core import OpenAPI

    from madoguchi.api.openapi import schema

    return OpenAPI.from_dict(schema())


class SchemaCheckedClient(Client):
    """Django's test client; every answer of the REST API is validated against the OpenAPI
    description the API serves (docs/openapi.json), so the two cannot drift apart."""

    def request(self, **request: Any) -> Any:
        response = super().request(**request)
        path = response.wsgi_request.path
        if path.startswith("/api/v1/") and path != "/api/v1/openapi.json":
            from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

            _openapi().validate_response(
                DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response)
            )
        return response


@pytest.fixture
def client() -> SchemaCheckedClient:
    return SchemaCheckedClient()


# Commands the tests start as processes read it from the environment.
os.environ.setdefault("MADOGUCHI_MUNICIPALITY_CODE", "131016")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """On SQLite, the test database is a file, as in production, not Django's default of
    memory. In memory, Django's live server shares the test's one connection with its own
    thread: a browser's request and the test's query at the same moment met in one
    transaction ("cannot start a transaction within a transaction", "database table is
    locked"). In a file each thread has its own connection, and WAL with IMMEDIATE
    transactions orders them."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("database")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(autouse=True)
def test_settings(settings, tmp_path: Path) -> None:
    """The test municipality, as pittari-sim generates it (東京都千代田区), however pytest
    runs; and a fast password hasher (healthchecks does the same): PBKDF2 at full cost took
    a quarter of a second for every persona."""
    settings.MUNICIPALITY_CODE = settings.MUNICIPALITY_CODE or "131016"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test's audit checkpoints in its own file (the database is each test's own too).
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.jsonl"


@dataclass
class Portal:
    """What `pittari-sim generate` wrote, and its CA for making special cases."""

    root: Path
    ca: CA
    generated: list[Generated]

    @property
    def packages(self) -> list[Path]:
        return sorted((self.root / "packages").glob("*.zip"))


@pytest.fixture(scope="session")
def portal_data(tmp_path_factory: pytest.TempPathFactory) -> Portal:
    root = tmp_path_factory.mktemp("pittari")
    # Four 児童手当 applications for the 子育て支援課 personas, then a mix of the catalog.
    generated = generate(root, 4, seed=7, procedure_id="jidou-teate-nintei", unlinked_rate=0.0)
    generated += generate(root, 8, seed=8, unlinked_rate=0.0)
    return Portal(root, load_or_create_ca(root), generated)


def portal_folder(portal_data: Portal, root: Path) -> Path:
    """A new portal folder signed by the session's test CA (key generation is the slow part
    of making a CA; one per test session is enough)."""
    (root / "ca").mkdir(parents=True)
    for name in ("ca-key.pem", "ca.pem"):
        shutil.copy2(portal_data.root / "ca" / name, root / "ca" / name)
    return root


@pytest.fixture
def new_portal(portal_data: Portal, tmp_path: Path) -> Callable[[str], Path]:
    """``new_portal(name)``: a folder for `generate`, under the session's test CA."""
    return lambda name: portal_folder(portal_data, tmp_path / name)


@pytest.fixture(scope="session")
def catalog_entries() -> Entries:
    """The catalog read and checked once per test session (53 files)."""
    return read_catalog()


@pytest.fixture
def catalog(db: None, catalog_entries: Entries) -> None:
    # A copy each: a test that changes a definition changes its own.
    load_catalog(entries=copy.deepcopy(catalog_entries))


@pytest.fixture
def trusted(catalog: None, portal_data: Portal) -> Portal:
    """Trust anchor, a fresh CRL and the 番号紐付情報 loaded, as an administrator would."""
    add_trust_anchor((portal_data.root / "trust" / "ca.pem").read_bytes())
    load_crl(portal_data.ca.crl([], number=1))
    load_links(portal_data.root / "registry" / "links.csv")
    return portal_data


@pytest.fixture
def configure(settings, tmp_path: Path) -> Callable[[str], Path]:
    """Write the municipality's core-system configuration (docs/core-systems.md)."""

    def write(text: str) -> Path:
        path = tmp_path / f"core_systems_{abs(hash(text))}.toml"
        path.write_text(text, encoding="utf-8")
        settings.CORE_SYSTEMS_FILE = str(path)
        return path

    return write


@pytest.fixture
def make_staff(catalog: None) -> Callable[..., User]:
    def make(username: str, role: Role, department_code: str | None) -> User:
        department = Department.objects.get(code=department_code) if department_code else None
        return User.objects.create_user(
            username=username,
            password=PASSWORD,
            role=role,
            department=department,
            display_name=username,
        )

    return make


@pytest.fixture
def counter_clerk(make_staff: Callable[..., User]) -> User:
    return make_staff("madoka", Role.COUNTER_CLERK, "kosodate")


@pytest.fixture
def reviewer(make_staff: Callable[..., User]) -> User:
    return make_staff("shinsa", Role.REVIEWER, "kosodate")


@pytest.fixture
def kaigo_clerk(make_staff: Callable[..., User]) -> User:
    return make_staff("kaigo", Role.COUNTER_CLERK, "kaigo")


@pytest.fixture
def kaigo_reviewer(make_staff: Callable[..., User]) -> User:
    return make_staff("kaigo-shinsa", Role.REVIEWER, "kaigo")


@pytest.fixture
def administrator(make_staff: Callable[..., User]) -> User:
    return make_staff("kanri", Role.ADMINISTRATOR, None)


def sign_in(client, user: User) -> None:
    """Log in as a member of staff who has also given the second factor, if their role needs it."""
    client.force_login(user)
    session = client.session
    session[VERIFIED] = True
    session.save()


def worker_spool(root: Path, key: bytes = b"k") -> Spool:
    """A spool as the relay finds it once the worker has started: the key packages are
    sealed to published (the relay fetches nothing before)."""
    spool = Spool(root, key)
    spool.publish_seal_key(public_key_of(settings.SPOOL_PRIVATE_KEY))
    return spool


TOWN_SECRET = "town-secret"


@dataclass
class Town:
    """A portal of its own (answers add packages to it), the relay's client and spool."""

    url: str
    client: PortalClient
    spool: Spool

    def cycle(self) -> None:
        """One pass of relay and worker: statuses out, packages in."""
        export_portal_updates(self.spool)
        push_statuses(self.client, self.spool)
        collect_acknowledgements(self.spool)
        pull_once(self.client, self.spool)
        drain(self.spool)

    def reply(self, receipt_number: str, form: dict[str, str]) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.url}/applicant/applications/{receipt_number}/reply",
            data=json.dumps({"form": form}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


@pytest.fixture
def town(catalog: None, portal_data: Portal, tmp_path: Path) -> Iterator[Town]:
    """One 児童手当 application on a running portal of its own, trusted and linked."""
    root = portal_folder(portal_data, tmp_path / "portal")
    generate(root, 1, seed=11, procedure_id="jidou-teate-nintei", unlinked_rate=0.0)
    add_trust_anchor((root / "trust" / "ca.pem").read_bytes())
    load_crl(load_or_create_ca(root).crl([], number=1))
    load_links(root / "registry" / "links.csv")
    server = make_server(SimulatedPortal(root, "madoguchi-demo", TOWN_SECRET), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield Town(
        url, PortalClient(url, "madoguchi-demo", TOWN_SECRET), worker_spool(tmp_path / "spool")
    )
    server.shutdown()
    server.server_close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """scripts/test runs the suite twice side by side, on SQLite and on PostgreSQL
    (MADOGUCHI_TEST_PASS names the pass). A test whose subject is not the database engine
    — what a browser shows, nginx in front, a killed process, a benchmark — is marked
    ``one_pass("sqlite")`` or ``one_pass("postgresql")`` and runs in that pass only. Run by
    hand (no MADOGUCHI_TEST_PASS), pytest runs everything it is given."""
    current = os.environ.get("MADOGUCHI_TEST_PASS")
    if not current:
        return
    kept, elsewhere = [], []
    for item in items:
        mark = item.get_closest_marker("one_pass")
        (elsewhere if mark is not None and mark.args[0] != current else kept).append(item)
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = kept
