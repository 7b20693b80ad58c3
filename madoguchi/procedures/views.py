from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from madoguchi.accounts.access import staff_user
from madoguchi.applications.constants import Status

from .models import Procedure
from .schema import FIELD_TYPE_LABELS


@login_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    procedures = Procedure.objects.select_related("department").order_by(
        "department__code", "procedure_id", "-version"
    )
    return render(request, "procedures/list.html", {"procedures": procedures})


@login_required
def procedure_detail(request: HttpRequest, procedure_id: str, version: str) -> HttpResponse:
    procedure = (
        Procedure.objects.select_related("department")
        .filter(procedure_id=procedure_id, version=version)
        .first()
    )
    if procedure is None:
        raise Http404
    flow = procedure.definition.get("flow", {})
    messages = [
        {"status": status.label, "text": procedure.status_messages[status.value]}
        for status in Status
        if status.value in procedure.status_messages
    ]
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "before": flow.get("before", []),
            "after": flow.get("after", []),
            "messages_for_applicant": messages,
            "may_edit_texts": staff_user(request).may_edit_applicant_texts(procedure.department_id),
            "versions": Procedure.objects.filter(procedure_id=procedure_id).order_by("version"),
            "fields": [
                {**field, "type_label": FIELD_TYPE_LABELS[field["type"]]}
                for field in procedure.fields
            ],
        },
    )
