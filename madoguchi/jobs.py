"""Background jobs held by leases, not by states (one mechanism for every job kind).

A worker claims a job by taking its lease: who holds it and until when. It renews the lease
as the work goes on (each step it commits); a job whose lease ran out — its worker was
killed, the host lost power — is claimed again by any worker and done from its start, and
the job's own last step checks, in the same transaction as its result, that the lease is
still the worker's: a job is never done twice. The screen shows such a job as 「再開待ち」.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

J = TypeVar("J", bound="LeasedJob")


class JobState(models.TextChoices):
    WAITING = "waiting", _("待ち")
    RUNNING = "running", _("作成中")
    DONE = "done", _("完了")
    FAILED = "failed", _("失敗")


RESUMING = _("再開待ち")


class LostLease(Exception):
    """Another worker took the job over (this one was too slow or thought dead)."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class LeasedJob(models.Model):
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.WAITING)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def resuming(self) -> bool:
        """Claimed by a worker that is gone: another takes it up at its next pass."""
        return (
            self.state == JobState.RUNNING
            and self.lease_until is not None
            and self.lease_until < timezone.now()
        )

    @property
    def state_label(self) -> str:
        return str(RESUMING if self.resuming else self.get_state_display())


def _lease_end() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)


def claim(model: type[J], **filters: object) -> J | None:
    """The oldest job waiting, or whose lease ran out, now leased to this worker."""
    with transaction.atomic():
        job = (
            model._default_manager.select_for_update(skip_locked=True)
            .filter(
                Q(state=JobState.WAITING)
                | Q(state=JobState.RUNNING, lease_until__lt=timezone.now()),
                **filters,
            )
            .order_by("pk")
            .first()
        )
        if job is None:
            return None
        job.state = JobState.RUNNING
        job.lease_owner = worker_name()
        job.lease_until = _lease_end()
        job.save(update_fields=["state", "lease_owner", "lease_until"])
        return job


def renew(job: LeasedJob, **progress: object) -> None:
    """Still at work (with what is done so far); LostLease when another worker has it."""
    updated = (
        type(job)
        .objects.filter(  # type: ignore[attr-defined]
            pk=job.pk, lease_owner=job.lease_owner, state=JobState.RUNNING
        )
        .update(lease_until=_lease_end(), **progress)
    )
    if not updated:
        raise LostLease(job.pk)


def hold(job: LeasedJob) -> None:
    """Inside the transaction that commits the job's result: lock the job and make sure it
    is still this worker's (LostLease otherwise, and the transaction rolls back)."""
    current = (
        type(job)
        ._default_manager.select_for_update()
        .filter(pk=job.pk)
        .values_list("lease_owner", "state")
        .first()
    )
    if current != (job.lease_owner, JobState.RUNNING):
        raise LostLease(job.pk)


def finish(job: LeasedJob, state: JobState, **result: object) -> bool:
    """The job's end, written only while this worker holds it."""
    return bool(
        type(job)
        ._default_manager.filter(pk=job.pk, lease_owner=job.lease_owner)
        .update(state=state, lease_until=None, **result)
    )


def release(job: LeasedJob, **note: object) -> None:
    """Back to waiting (the disk was full, the database went away): taken up again later."""
    type(job)._default_manager.filter(pk=job.pk, lease_owner=job.lease_owner).update(
        state=JobState.WAITING, lease_owner="", lease_until=None, **note
    )
