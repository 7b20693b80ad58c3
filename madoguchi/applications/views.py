from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.certs import BasicFour
from madoguchi.lib.mynumber import MASKED
from madoguchi.linking.models import Delivery
from madoguchi.residents.actions import reveal_my_number
from madoguchi.residents.constants import Sex
from madoguchi.residents.identification import candidates
from madoguchi.residents.models import Resident

from .access import access_application
from .actions import (
    MANUAL_MATCH_FROM,
    allowed_transitions,
    change_status,
    record_view,
    resolve_identification,
)
from .constants import REASON_REQUIRED, Status
from .forms import InboxFilterForm, ResolveForm, TransitionForm
from .models import Application
from .queries import ApplicationQuerySet

PAGE_SIZE = 50


def _inbox(request: HttpRequest, applications: ApplicationQuerySet, title: str) -> HttpResponse:
    form = InboxFilterForm(request.GET or None)
    applications = applications.select_related("procedure").only(
        "receipt_number",
        "status",
        "received_at",
        "applicant_name",
        "identification",
        "form_errors",
        "procedure__name",
    )
    if form.is_valid():
        applications = applications.search(form.cleaned_data["q"])
        if form.cleaned_data["status"]:
            applications = applications.filter(status=form.cleaned_data["status"])
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applications/list.html", {"form": form, "page": page, "title": title})


@contextmanager
def _refusals_as_messages(request: HttpRequest) -> Iterator[None]:
    """An action's refusal (a ValidationError) becomes an error message on the next page."""
    try:
        yield
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    return _inbox(request, Application.objects.visible_to(staff_user(request)), _("申請一覧"))


@login_required
def identification_queue(request: HttpRequest) -> HttpResponse:
    """本人確認待ち: what the certificate serial could not settle on its own."""
    applications = Application.objects.visible_to(staff_user(request)).filter(
        identification__in=MANUAL_MATCH_FROM
    )
    return _inbox(request, applications, _("本人確認待ち"))


def _comparison(application: Application, basic_four: dict[str, str]) -> list[dict[str, str]]:
    """The certificate's 基本4情報 beside the registry's, as a clerk reads them."""

    def day(yyyymmdd: str) -> str:
        return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}" if len(yyyymmdd) == 8 else yyyymmdd

    def sex(code: str) -> str:
        return str(Sex(code).label) if code in Sex.values else code

    resident = application.resident
    rows = [
        (_("氏名"), basic_four.get("name", ""), resident.name if resident else ""),
        (
            _("生年月日"),
            day(basic_four.get("birth_date", "")),
            resident.birth_date.isoformat() if resident else "",
        ),
        (_("性別"), sex(basic_four.get("sex", "")), sex(resident.sex) if resident else ""),
        (_("住所"), basic_four.get("address", ""), resident.address if resident else ""),
    ]
    return [{"item": item, "certificate": c, "registry": r} for item, c, r in rows]


def _render_detail(
    request: HttpRequest, application: Application, *, my_number: str | None = None
) -> HttpResponse:
    user = staff_user(request)
    evidence = getattr(application, "evidence", None)
    basic_four = evidence.signer_basic_four if evidence else {}
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
    resolvable = application.identification in MANUAL_MATCH_FROM and user.may_resolve_identification
    resident = application.resident
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "evidence": evidence,
            "fields": fields,
            "transitions": allowed_transitions(application),
            "deliveries": Delivery.objects.filter(application=application),
            "reason_required": [s.value for s in REASON_REQUIRED],
            "timeline": timeline,
            "comparison": _comparison(application, basic_four) if basic_four else [],
            "resolvable": resolvable,
            "candidates": candidates(BasicFour(**basic_four) if basic_four else None)
            if resolvable
            else [],
            "has_my_number": bool(resident and resident.my_number_encrypted is not None),
            "my_number_masked": MASKED,
            "my_number": my_number,
            "may_read_my_number": user.may_read_my_number,
        },
    )


@login_required
def application_detail(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    record_view(application, user)
    return _render_detail(request, application)


@login_required
@require_POST
def application_my_number(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """Show the applicant's 個人番号 once, to a role that may read it; the read is audited."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    if application.resident is None or not user.may_read_my_number:
        raise PermissionDenied
    number = reveal_my_number(
        application.resident, viewer=user, purpose=f"application:{receipt_number}"
    )
    return _render_detail(request, application, my_number=number)


@login_required
@require_POST
def application_transition(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("入力内容を確認してください"))
        return redirect("applications:detail", receipt_number=receipt_number)
    to_status = Status(form.cleaned_data["to_status"])
    with _refusals_as_messages(request):
        change_status(application.pk, to_status, actor=user, reason=form.cleaned_data["reason"])
        messages.success(request, _("ステータスを「%(s)s」に変更しました") % {"s": to_status.label})
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def application_resolve(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    form = ResolveForm(request.POST)
    resident = None
    if form.is_valid():
        code = form.cleaned_data["resident"]
        resident = Resident.objects.filter(atena_number=code).first() or (
            Resident.objects.filter(resident_code=code).first()
        )
    if resident is None:
        messages.error(request, _("宛名番号または住民票コードに該当する住民がいません"))
        return redirect("applications:detail", receipt_number=receipt_number)
    with _refusals_as_messages(request):
        resolve_identification(application.pk, resident, actor=user, note=form.cleaned_data["note"])
        messages.success(request, _("%(name)s として本人を特定しました") % {"name": resident.name})
    return redirect("applications:detail", receipt_number=receipt_number)
