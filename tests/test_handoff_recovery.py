"""A worker that dies after a hand-over file's transaction committed, and before the file
took its name: the next pass publishes and sends that same file, so every delivery goes
out once — none lost under a temporary name, none written into a second file."""

from __future__ import annotations

import hashlib
import json

import pytest

from madoguchi.applications.models import Application
from madoguchi.intake.actions import import_package
from madoguchi.linking.models import BatchFile, Delivery
from madoguchi.linking.tasks import hand_over, outgoing_dir
from tests.builders import make_ready

pytestmark = pytest.mark.django_db


def test_a_file_committed_but_never_published_is_published_once_on_the_next_pass(
    configure, trusted, reviewer, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DATA_DIR = tmp_path / "data"
    configure('[jidou_teate]\nmethod = "batch"\nbatch_every_minutes = 1\n')
    # Three of one procedure: one batch file.
    nintei = [g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei"][:3]
    for path in nintei:
        import_package(path.read_bytes(), path.name)
    ready = list(Application.objects.filter(procedure__core_system="jidou_teate"))
    assert len(ready) == 3
    with django_capture_on_commit_callbacks(execute=True):
        make_ready(ready, reviewer)
    # The export commits; the process dies before its after-commit work (the rename).
    with django_capture_on_commit_callbacks(execute=False) as lost:
        hand_over()
    assert lost, "the hand-over had after-commit work to lose"
    out = outgoing_dir("jidou_teate")
    [batch] = BatchFile.objects.all()
    assert batch.published_at is None
    assert [p.name for p in out.iterdir()] == [f".{batch.file_name}.part"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}

    with django_capture_on_commit_callbacks(execute=True):
        hand_over()  # the next pass, by a new worker
    published = out / batch.file_name
    manifest = json.loads(published.with_name(published.name + ".manifest.json").read_text())
    assert manifest["sha256"] == hashlib.sha256(published.read_bytes()).hexdigest() == batch.sha256
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [batch.file_name, batch.file_name + ".manifest.json"]
    )
    assert BatchFile.objects.count() == 1  # no second file with the same records
    batch.refresh_from_db()
    assert batch.published_at is not None
