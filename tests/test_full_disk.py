"""The data folder's disk fills up during a letters batch or a backup: the work stops with a
Japanese error naming the folder, leaves no partial file a reader could take for a whole
one, and is done once space is free again."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from madoguchi.jobs import JobState
from madoguchi.lib import files
from madoguchi.notices.actions import make_waiting_letters, request_letters
from madoguchi.notices.models import LetterKind, LetterRun
from tests.factories import make_application

pytestmark = pytest.mark.django_db


class Disk:
    """A small filesystem of its own (tmpfs, where the machine lets us mount one), else
    the same full disk made by refusing writes with ENOSPC at the file layer."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        root.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(root)],
            capture_output=True,
        )
        self.mounted = done.returncode == 0
        self.monkeypatch = monkeypatch
        self.filler = root / "filler"

    def fill(self) -> None:
        if self.mounted:
            with open(self.filler, "wb") as f, pytest.raises(OSError) as full:
                while True:
                    f.write(b"\0" * 65536)
            assert full.value.errno == errno.ENOSPC
            return

        def refuse(*args: object, **kwargs: object) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        self.monkeypatch.setattr(files, "open", refuse, raising=False)

    def free(self) -> None:
        if self.mounted:
            self.filler.unlink()
        else:
            self.monkeypatch.delattr(files, "open", raising=False)

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "--lazy", str(self.root)], check=True)


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings) -> Iterator[Disk]:
    small = Disk(tmp_path / "disk", monkeypatch)
    settings.DATA_DIR = small.root
    yield small
    small.unmount()


def test_a_letters_batch_on_a_full_disk_waits_and_is_made_once_space_is_free(
    catalog, reviewer, disk
):
    for _n in range(3):
        make_application()
    run = request_letters(LetterKind.RECEIPT, timezone.localdate(), "", actor=reviewer)
    disk.fill()
    make_waiting_letters()
    run.refresh_from_db()
    assert run.state == JobState.WAITING and run.lease_owner == ""
    assert f"{disk.root}" in run.error and "空きがありません" in run.error
    folder = disk.root / "letters" / f"run-{run.pk}"
    assert not folder.exists() or list(folder.iterdir()) == []  # no partial file

    disk.free()
    assert make_waiting_letters() == 1
    run = LetterRun.objects.get(pk=run.pk)
    assert (run.state, run.total, run.error) == (JobState.DONE, 3, "")
    assert sorted(p.name for p in folder.iterdir()) == sorted(run.files)


@pytest.mark.django_db(transaction=True)  # a backup reads the database from outside
def test_a_backup_on_a_full_disk_says_so_and_leaves_nothing(catalog, disk, tmp_path):
    if not disk.mounted:
        pytest.skip("a backup's database copy needs a real full filesystem (tmpfs)")
    target = disk.root / "backups" / "madoguchi.tar.gz"
    disk.fill()
    with pytest.raises(CommandError, match="のディスクに空きがありません"):
        call_command("backup", "create", str(target))
    assert list(target.parent.iterdir()) == []  # neither the archive nor its pieces
    disk.free()
    call_command("backup", "create", str(target))
    assert target.stat().st_size > 0


def test_a_hand_over_file_on_a_full_disk_leaves_nothing_and_goes_out_later(
    configure, trusted, reviewer, disk, django_capture_on_commit_callbacks
):
    from madoguchi.applications.models import Application
    from madoguchi.intake.actions import import_package
    from madoguchi.linking.models import Delivery
    from madoguchi.linking.tasks import hand_over
    from tests.builders import make_ready

    configure('[jidou_teate]\nmethod = "batch"\nbatch_every_minutes = 1\n')
    for path in trusted.packages[:2]:
        import_package(path.read_bytes(), path.name)
    ready = list(Application.objects.filter(procedure__core_system="jidou_teate"))
    with django_capture_on_commit_callbacks(execute=True):
        make_ready(ready, reviewer)
    assert Delivery.objects.count() == len(ready) > 0
    disk.fill()
    with pytest.raises(files.DiskFull, match="空きがありません"):
        hand_over()
    outgoing = disk.root / "handoff" / "jidou_teate" / "outgoing"
    assert list(outgoing.iterdir()) == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}
    disk.free()
    hand_over()
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
