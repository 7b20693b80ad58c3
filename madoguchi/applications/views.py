from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.audit.models import AuditEvent

from .access import access_application
from .actions import allowed_transitions, change_status, record_view
from .constants import REASON_REQUIRED, Status
from .forms import InboxFilterForm, TransitionForm
from .models import Application

PAGE_SIZE = 50


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET or None)
    applications = (
        Application.objects.visible_to(staff_user(request))
        .select_related("procedure")
        .only(
            "receipt_number",
            "status",
            "received_at",
            "applicant_name",
            "identification",
            "form_errors",
            "procedure__name",
        )
    )
    if form.is_valid():
        applications = applications.search(form.cleaned_data["q"])
        if form.cleaned_data["status"]:
            applications = applications.filter(status=form.cleaned_data["status"])
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applications/list.html", {"form": form, "page": page})


@login_required
def application_detail(request: HttpRequest, receipt_number: str) -> HttpResponse:
    application = access_application(staff_user(request), receipt_number)
    record_view(application, staff_user(request))
    fields = [
        {
            "id": field["id"],
            "label": field["label"],
            "value": application.form.get(field["id"], ""),
            "errors": application.form_errors.get(field["id"], []),
        }
        for field in application.procedure.fields
    ]
    timeline = AuditEvent.objects.filter(
        target_type="application", target_id=application.receipt_number
    ).select_related("actor")
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "evidence": getattr(application, "evidence", None),
            "fields": fields,
            "transitions": allowed_transitions(application),
            "reason_required": [s.value for s in REASON_REQUIRED],
            "timeline": timeline,
        },
    )


@login_required
@require_POST
def application_transition(request: HttpRequest, receipt_number: str) -> HttpResponse:
    application = access_application(staff_user(request), receipt_number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("入力内容を確認してください"))
        return redirect("applications:detail", receipt_number=receipt_number)
    to_status = Status(form.cleaned_data["to_status"])
    try:
        change_status(
            application.pk, to_status, actor=staff_user(request), reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("ステータスを「%(s)s」に変更しました") % {"s": to_status.label})
    return redirect("applications:detail", receipt_number=receipt_number)
