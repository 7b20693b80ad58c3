"""Applications made directly in the database, one trait per lifecycle state (STYLE.md §8).

For tests about the inbox and the workflow's bookkeeping, where the signed package is not
the point; tests about intake build real packages (tests/builders.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from madoguchi.applications.actions.filing import file_application
from madoguchi.applications.models import Application, CorrectionReply
from madoguchi.intake.actions import import_package
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import Channel, Identification, Status

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


# A counter form of 要介護認定 for the resident of the `resident` fixture (tests/conftest.py).
KAIGO_NINTEI = {
    "insured_number": "0000123456",
    "applicant_name": "介護　太郎",
    "applicant_kana": "カイゴ　タロウ",
    "applicant_birth_date": "1945-04-01",
    "applicant_postal_code": "100-0001",
    "applicant_address": "東京都千代田区千代田1-1",
    "applicant_phone": "03-1234-5678",
}


def procedure(procedure_id: str) -> Procedure:
    return Procedure.current([procedure_id])[procedure_id]


def complete_form(procedure_id: str, **given: str) -> dict[str, str]:
    """A valid form of the catalog entry: every required item with a value of its type."""
    samples = {
        "text": "テスト",
        "kana": "テスト",
        "date": "2026-11-01",
        "postal_code": "100-0001",
        "phone": "03-1234-5678",
        "corporate_number": "1234567890123",
        "my_number": "123456789018",
    }
    form = {}
    for field in procedure(procedure_id).fields:
        if field["type"] == "group":  # one entry of the group
            for sub in field["fields"]:
                form[f"{field['id']}.1.{sub['id']}"] = sample(sub, samples)
            continue
        form[field["id"]] = sample(field, samples)
    return form | given


def sample(field: dict, samples: dict[str, str]) -> str:
    """A valid value of the field's type."""
    kind = field["type"]
    if kind == "choice":
        return str(field["choices"][0])
    if kind == "digits":
        return "1" * int(field.get("length") or min(6, field.get("max_length", 6)))
    return samples[kind]


def file_kaigo_at_counter(resident: Any, clerk: Any, **given: str) -> Application:
    """A 要介護認定 filed at the counter for ``resident`` (KAIGO_NINTEI, with ``given``)."""
    form = complete_form("kaigo-nintei", **KAIGO_NINTEI) | given
    return file_application(
        procedure("kaigo-nintei"), resident, form, actor=clerk, channel=Channel.COUNTER
    )


def online_and_counter_twin(trusted: Any, clerk: Any) -> tuple[Application, Application]:
    """A 児童手当 認定請求 received online (identified), and the same form filed again at the
    counter for its resident: a 重複の可能性."""
    generated = next(g for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(generated.path.read_bytes(), generated.path.name)
    online = Application.objects.get(receipt_number=generated.receipt_number)
    counter = file_application(
        online.procedure,
        online.resident,
        online.form_with_my_numbers(),
        actor=clerk,
        channel=Channel.COUNTER,
    )
    return online, counter
