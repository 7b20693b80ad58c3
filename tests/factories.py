"""Applications made directly in the database, one trait per lifecycle state (STYLE.md §8).

For tests about the inbox and the workflow's bookkeeping, where the signed package is not
the point; tests about intake build real packages (tests/builders.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from madoguchi.applications.models import Application, CorrectionReply
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import Identification, Status

_numbers = itertools.count(1)


def make_application(
    procedure_id: str = "jidou-teate-nintei",
    *,
    name: str = "山田　花子",
    kana: str = "ヤマダ　ハナコ",
    status: Status = Status.RECEIVED,
    received_at: dt.datetime | None = None,
    **fields: Any,
) -> Application:
    procedure = Procedure.objects.filter(procedure_id=procedure_id).order_by("-version").first()
    assert procedure is not None
    received_at = received_at or timezone.now()
    application = Application(
        receipt_number=fields.pop("receipt_number", f"2026113{next(_numbers):09d}"),
        procedure=procedure,
        status=status,
        submitted_at=received_at,
        status_changed_at=received_at,
        submitter="self",
        municipality_code="131016",
        form={"applicant_name": name, "applicant_kana": kana},
        applicant_name=name,
        applicant_kana=kana,
        identification=fields.pop("identification", Identification.UNIDENTIFIED),
        due_date=timezone.localdate(received_at) + dt.timedelta(days=procedure.processing_days),
        **fields,
    )
    application.set_search_keys()
    application.save()
    # received_at is auto_now_add: set the one the test asked for afterwards.
    Application.objects.filter(pk=application.pk).update(received_at=received_at)
    application.received_at = received_at
    return application


def make_reply(application: Application, receipt_number: str) -> CorrectionReply:
    """A 補正回答 to ``application`` received now, its package not the point."""
    return CorrectionReply.objects.create(
        application=application,
        receipt_number=receipt_number,
        submitted_at=timezone.now(),
        file_name="r.zip",
        package=b"",
        package_sha256="0" * 64,
        signer_serial="1",
        form={},
        previous_form={},
    )
