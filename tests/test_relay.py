"""連携サーバ: a portal on a bad day, the authenticated spool, and status write-back."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import worker_spool
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application, PortalStatusUpdate
from madoguchi.operations.worker import drain, exchange_statuses
from madoguchi.relay.passes import pull_once, push_statuses
from madoguchi.relay.portal import Listed, PortalClient
from madoguchi.relay.spool import Spool
from madoguchi.vocabulary import Status
from pittari_sim.server import Faults, Portal, make_server

pytestmark = pytest.mark.django_db
SECRET = "relay-secret"


def serve(portal: Portal) -> Iterator[str]:
    server = make_server(portal, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def portal_copy(portal_data, tmp_path) -> Path:
    """The generated portal data, copied so that status history stays with one test."""
    root = tmp_path / "portal"
    shutil.copytree(portal_data.root, root)
    return root


@pytest.fixture
def faulty_portal(portal_copy) -> Iterator[tuple[Portal, str]]:
    faults = Faults.parse("error=0.2,truncate=0.2,duplicate=0.5,reorder=1,token_ttl=0.3,seed=3")
    portal = Portal(portal_copy, "madoguchi-demo", SECRET, faults=faults)
    for url in serve(portal):
        yield portal, url


def test_every_package_arrives_once_from_a_portal_on_a_bad_day(trusted, faulty_portal, tmp_path):
    _portal, url = faulty_portal
    spool = worker_spool(tmp_path / "spool", b"k")
    client = PortalClient(url, "madoguchi-demo", SECRET, retry_delay=0.01)
    fetched = 0
    for _ in range(60):
        fetched += pull_once(client, spool).fetched
        if fetched == len(trusted.packages):
            break
    assert fetched == len(trusted.packages)
    assert drain(spool) == len(trusted.packages)
    assert Application.objects.count() == len(trusted.packages)


def test_a_file_dropped_into_the_spool_by_someone_else_is_refused(trusted, tmp_path):
    spool = Spool(tmp_path / "spool", b"the real key")
    intruder = Spool(tmp_path / "spool", b"a guessed key")
    intruder.put("2026112699999999", trusted.packages[0].read_bytes())
    (spool.incoming / "loose.zip").write_bytes(trusted.packages[1].read_bytes())
    assert drain(spool) == 0
    assert Application.objects.count() == 0
    assert len(list(spool.rejected.glob("*.zip"))) == 2
    reasons = [p.read_text() for p in spool.rejected.glob("*.reason.txt")]
    assert reasons == ["incoming/ のファイルとして認証できません (名前・MAC・種類)\n"] * 2


def test_a_status_change_reaches_the_applicant_through_the_relay(
    trusted, faulty_portal, tmp_path, reviewer
):
    portal, url = faulty_portal
    spool = worker_spool(tmp_path / "spool", b"k")
    client = PortalClient(url, "madoguchi-demo", SECRET, retry_delay=0.01)
    for _ in range(30):
        pull_once(client, spool)
    drain(spool)
    application = Application.objects.filter(procedure__department=reviewer.department).first()
    change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
    change_status(
        application.pk,
        Status.CORRECTION_REQUESTED,
        actor=reviewer,
        reason="口座名義のフリガナをご確認ください",
    )
    assert PortalStatusUpdate.objects.filter(application=application).count() == 2

    for _ in range(40):  # the portal fails a share of calls: retried until delivered
        exchange_statuses(spool)
        push_statuses(client, spool)
        exchange_statuses(spool)
        if not PortalStatusUpdate.objects.filter(sent_at__isnull=True).exists():
            break
    assert not PortalStatusUpdate.objects.filter(sent_at__isnull=True).exists()
    history = portal.history[application.receipt_number]
    assert [event["status"] for event in history] == ["processing", "returned"]
    assert "口座名義のフリガナをご確認ください" in history[-1]["message"]
    assert application.procedure.status_messages["correction_requested"] in history[-1]["message"]


def test_a_status_update_posted_twice_is_shown_once(portal_copy):
    portal = Portal(portal_copy, "madoguchi-demo", SECRET)
    receipt = portal.entries()[0].receipt_number
    portal.post_status(receipt, "processing", "審査中です", ref="madoguchi-1")
    portal.post_status(receipt, "processing", "審査中です", ref="madoguchi-1")
    assert len(portal.history[receipt]) == 1
    assert json.loads(portal.status_log.read_text().splitlines()[-1])["ref"] == "madoguchi-1"


def test_a_listing_entry_with_an_unusable_receipt_number_is_skipped(trusted, tmp_path, monkeypatch):
    good = [Listed(p.stem, "x", "0" * 64) for p in trusted.packages[:1]]
    client = PortalClient("http://127.0.0.1:9", "id", "secret")
    monkeypatch.setattr(
        client, "list_applications", lambda: iter([Listed("../etc", "x", "0"), *good])
    )
    monkeypatch.setattr(client, "get_package", lambda listed: b"package")
    result = pull_once(client, worker_spool(tmp_path / "spool", b"k"))
    assert (result.fetched, result.failed) == (1, 1)


def test_status_updates_go_to_the_relay_in_the_order_they_were_made(trusted, tmp_path):
    """The relay posts the spool's files in name order: update 10 must follow update 9."""
    from madoguchi.applications.tasks import export_portal_updates
    from madoguchi.intake.actions import import_package

    import_package(trusted.packages[0].read_bytes(), trusted.packages[0].name)
    application = Application.objects.get()
    for pk, status in ((9, "processing"), (10, "returned")):
        PortalStatusUpdate.objects.create(pk=pk, application=application, status=status)
    spool = Spool(tmp_path / "spool", b"k")
    assert export_portal_updates(spool) == 2
    posted = [json.loads(update.read()) for update in spool.outgoing()]
    assert [(p["ref"], p["status"]) for p in posted] == [
        ("madoguchi-9", "processing"),
        ("madoguchi-10", "returned"),
    ]


def test_packages_are_sealed_for_the_application_side_and_only_it_opens_them(
    trusted, tmp_path, settings
):
    """The relay's host and the shared folder never hold a readable package (nor the
    個人番号 a form carries): the worker publishes its key, the relay seals to it."""
    spool = Spool(tmp_path / "spool", b"k", pin=tmp_path / "relay" / "seal-key.pub")
    first, second, third = trusted.packages[:3]
    spool.put(first.stem, first.read_bytes())  # no key published yet: spooled as it came
    assert not spool.pending()[0].sealed
    assert drain(spool) == 1  # the worker reads it, and publishes its key
    spool.put(second.stem, second.read_bytes())
    [spooled] = spool.pending()
    assert spooled.sealed and not spooled.read().startswith(b"PK")
    assert spooled.open(settings.SPOOL_PRIVATE_KEY) == second.read_bytes()
    assert drain(spool) == 1 and Application.objects.count() == 2

    # Someone without the hand-over key cannot publish a key of their own to read packages,
    # nor, by deleting the published one, make the relay spool in clear again (it pinned it).
    published = spool.seal_key()
    Spool(tmp_path / "spool", b"a guessed key").publish_seal_key(bytes(32))
    for path in spool.keys.iterdir():
        path.unlink()
    assert published is not None and spool.seal_key() == published

    # A 申請管理 side configured with another private key opens nothing and loses nothing:
    # the package is set aside, still sealed, with the reason.
    spool.put(third.stem, third.read_bytes())
    settings.SPOOL_PRIVATE_KEY = bytes(range(32))
    assert drain(spool) == 0
    [kept] = [p for p in spool.rejected.iterdir() if p.suffix == ".box"]
    assert "開けません" in kept.with_name(kept.name + ".reason.txt").read_text(encoding="utf-8")
