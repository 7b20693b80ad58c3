"""The application's A4 print view (申請書の印刷), one or a day's worth as one PDF."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.access import staff_user
from madoguchi.applications.access import access_application, access_filed_today
from madoguchi.applications.actions.reads import (
    record_read,
    sheet_form,
)
from madoguchi.applications.models import (
    PACKAGE_COLUMNS,
    Evidence,
)
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.wareki import to_wareki
from madoguchi.notices.models import DocumentSettings
from madoguchi.notices.pdf import render_pdf
from madoguchi.web import bad_request

from .print_pages import print_page, printed_by, printed_fields
from .print_runs import PRINT_BATCH_LIMIT, day_applications, record_printed, render_day


@login_required
def application_print(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """/applications/<受付番号>/print.pdf: the application on A4 for the 決裁 file, in the
    catalog's order with its 受付, identification, attachments, signature evidence and a
    回議欄. Printing personal data is an audited read."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    evidence = Evidence.objects.filter(application=application).defer(*PACKAGE_COLUMNS).first()
    record_read(application, user, AuditAction.APPLICATION_PRINTED)
    pdf = render_pdf(
        "notices/application.html", print_page(application, evidence) | printed_by(user)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt_number}.pdf"'
    return response


# Applications in one printed batch at most; more is narrowed by procedure.
@login_required
def applications_print(request: HttpRequest) -> HttpResponse:
    """/applications/print.pdf?date=YYYY-MM-DD[&procedure=ID]: the day's received
    applications of the department as one PDF, each on its own pages (each an audited
    print)."""
    user = staff_user(request)
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return bad_request(request, _("日付を YYYY-MM-DD で指定してください"))
    applications = day_applications(user, day, request.GET.get("procedure", ""))
    if not applications:
        raise Http404(_("その日に受け付けた申請はありません"))
    if len(applications) > PRINT_BATCH_LIMIT:
        return bad_request(
            request, _("%(n)d 件を超えます。手続で絞り込んでください") % {"n": PRINT_BATCH_LIMIT}
        )
    record_printed(applications, user, day)
    pdf = render_day(user, day, applications)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="applications-{day.isoformat()}.pdf"'
    return response


@login_required
def application_sheet(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """/applications/<受付番号>/sheet.pdf: the 申請書 as the resident would have written it,
    for them to check and sign at the counter — every value (the 個人番号 in full, an
    audited read), a 確認・署名 box on every page, and nothing internal (no 回議欄, 宛名番号,
    処理期限 or status). The 決裁 print (print.pdf) stays the office's document."""
    user = staff_user(request)
    application = access_filed_today(user, receipt_number)
    try:
        form = sheet_form(application, viewer=user)
    except PermissionDenied as exc:
        raise Http404 from exc
    pdf = render_pdf(
        "notices/sheet.html",
        {
            "application": application,
            "procedure": application.procedure,
            "fields": printed_fields(application.procedure.fields, form, {}),
            "arrived_day": to_wareki(timezone.localdate(application.submitted_at)),
            "municipality": DocumentSettings.current().municipality_name,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt_number}-sheet.pdf"'
    return response
