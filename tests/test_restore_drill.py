"""The restore drill, as an administrator runs it: back up, more arrives, a checkpoint is
written, the database is lost, restore — the audit log verifies, and what arrived after the
backup is fetched from the portal again and is there."""

from __future__ import annotations

import io
import json
import stat
import tarfile
import threading

import pytest
from django.core.management import CommandError, call_command

from madoguchi.applications.models import Application, Evidence
from madoguchi.audit.actions import anchor, verify_chain
from madoguchi.operations.worker import drain
from madoguchi.relay.passes import pull_once, relay_spool
from madoguchi.relay.portal import PortalClient
from madoguchi.relay.spool import public_key_of
from pittari_sim.generate import generate
from pittari_sim.server import Portal, make_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portal(trusted, new_portal, settings, tmp_path):
    root = new_portal("portal")
    generate(root, 2, seed=21, procedure_id="jidou-teate-nintei", unlinked_rate=0.0)
    server = make_server(Portal(root, "madoguchi-demo", "s"), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SPOOL_DIR = tmp_path / "spool"
    spool = relay_spool()
    spool.publish_seal_key(public_key_of(settings.SPOOL_PRIVATE_KEY))
    client = PortalClient(f"http://127.0.0.1:{server.server_port}", "madoguchi-demo", "s")
    yield root, client, spool
    server.shutdown()
    server.server_close()


def test_the_restore_drill_loses_nothing(portal, tmp_path, capsys):
    root, client, spool = portal
    pull_once(client, spool)
    drain(spool)
    before = set(Application.objects.values_list("receipt_number", flat=True))
    assert len(before) == 2
    backup = tmp_path / "backups" / "madoguchi.tar.gz"
    call_command("backup", "create", str(backup))
    assert "バックアップを作成しました" in capsys.readouterr().out
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    # After the backup: one more application arrives, the hourly checkpoint is written.
    generate(root, 1, seed=22, procedure_id="jidou-teate-nintei", unlinked_rate=0.0)
    assert pull_once(client, spool).fetched == 1
    drain(spool)
    later = set(Application.objects.values_list("receipt_number", flat=True)) - before
    assert len(later) == 1
    anchor()

    # The database is lost; the administrator restores last night's backup.
    Evidence.objects.all().delete()
    Application.objects.all().delete()
    call_command("backup", "restore", str(backup), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["audit_problems"] == []
    assert report["refetch"] == sorted(later)
    assert set(Application.objects.values_list("receipt_number", flat=True)) == before

    # The relay's next pass fetches it again from the portal, the worker imports it.
    assert pull_once(client, spool).fetched == 1
    drain(spool)
    assert set(Application.objects.values_list("receipt_number", flat=True)) == before | later
    anchor()
    assert verify_chain() == []


def test_a_damaged_archive_is_refused_before_anything_is_touched(portal, tmp_path):
    _root, client, spool = portal
    pull_once(client, spool)
    drain(spool)
    backup = tmp_path / "good.tar.gz"
    call_command("backup", "create", str(backup))
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(backup) as good, tarfile.open(damaged, "w:gz") as bad:
        for member in good.getmembers():
            data = good.extractfile(member).read()
            if member.name.startswith("database."):
                data = data[:-10] + b"0123456789"
            member.size = len(data)
            bad.addfile(member, io.BytesIO(data))
    count = Application.objects.count()
    lost = Application.objects.first()
    Evidence.objects.filter(application=lost).delete()
    lost.delete()
    with pytest.raises(CommandError, match="目録と一致しません"):
        call_command("backup", "restore", str(damaged))
    assert Application.objects.count() == count - 1  # untouched
