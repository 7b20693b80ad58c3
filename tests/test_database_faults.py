"""The database goes away during intake and during export, then comes back: nothing is lost,
doubled or half-written. Outages are injected with Django's execute_wrapper, so the same
test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection

from madoguchi.applications.models import Application, Evidence
from madoguchi.audit.actions import verify_chain
from madoguchi.linking.constants import DeliveryState
from madoguchi.linking.models import BatchFile, Delivery
from madoguchi.operations.worker import drain
from madoguchi.relay.spool import Spool
from tests.builders import export_csv, make_ready, read_rows

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def flaky_database(share: float, seed: int) -> Iterator[None]:
    """Every statement fails with this probability, as when the server is restarting."""
    rng = random.Random(seed)

    def maybe_fail(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
        if rng.random() < share:
            raise OperationalError("server closed the connection unexpectedly (injected)")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(maybe_fail):
        yield


def test_intake_during_an_outage_loses_and_doubles_nothing(trusted, tmp_path):
    spool = Spool(tmp_path / "spool", b"k")
    for path in trusted.packages:
        spool.put(path.stem, path.read_bytes())
    with flaky_database(0.08, seed=5):
        drain(spool)  # some packages fail part-way; they stay in the spool
    assert len(spool.pending()) > 0
    half_done = Application.objects.count()
    assert half_done < len(trusted.packages)
    # Every stored application is whole: its evidence was written in the same transaction.
    assert Evidence.objects.count() == half_done
    drain(spool)  # the database is back
    assert spool.pending() == []
    assert Application.objects.count() == Evidence.objects.count() == len(trusted.packages)
    assert verify_chain() == []


def test_an_export_interrupted_by_an_outage_is_all_or_nothing(
    trusted, tmp_path, reviewer, capsys, django_capture_on_commit_callbacks
):
    spool = Spool(tmp_path / "spool", b"k")
    for path in trusted.packages:
        spool.put(path.stem, path.read_bytes())
    drain(spool)
    ready = Application.objects.filter(procedure__procedure_id="jidou-teate-nintei")
    make_ready(ready, reviewer)
    out = tmp_path / "out"
    failures = 0
    for seed in range(1, 40):
        try:
            with flaky_database(0.1, seed), django_capture_on_commit_callbacks(execute=True):
                export_csv("jidou-teate-nintei", out, capsys)
            break
        except OperationalError:
            failures += 1
            # Nothing was sent and no file was published.
            assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.PENDING}
            assert list(out.glob("*.csv")) == []
    assert failures > 0, "the outage never hit the export"
    [published] = list(out.glob("*.csv"))
    assert len(read_rows(published)) == ready.count()
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert BatchFile.objects.get().records == ready.count()
    assert verify_chain() == []
