"""The application's A4 print view (申請書の印刷), one or a day's worth as one PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import User
from madoguchi.applications.access import access_application, access_filed_today
from madoguchi.applications.actions.reads import (
    record_read,
    sheet_form,
)
from madoguchi.applications.models import (
    PACKAGE_COLUMNS,
    Application,
    Decision,
    Evidence,
)
from madoguchi.applications.timeline import timeline
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.wareki import to_wareki, to_wareki_time
from madoguchi.notices.models import DocumentSettings
from madoguchi.notices.pdf import render_pdf
from madoguchi.procedures.fields import field_type
from madoguchi.procedures.schema import display_rows, field_at, key_labels
from madoguchi.vocabulary import StepState
from madoguchi.web import bad_request


def _wareki_time(moment: dt.datetime | None) -> str:
    return to_wareki_time(timezone.localtime(moment)) if moment else "—"


def _approvals(application: Application) -> dict[str, Any]:
    """電子決裁 on paper: the latest 決裁 of the application — its 起案 and each step with
    who decided, when (和暦) and how (電子決裁済, 代決, 後閲, 差戻し) — for the 回議欄, and
    its 伺い文 and 審査結果. None when the application was decided without a route."""
    decision = (
        application.decisions.select_related("drafter")
        .prefetch_related("steps__approver", "steps__acted_by")
        .first()
    )
    if decision is None:
        return {"decision": None}
    marks = {
        StepState.APPROVED: _("電子決裁済"),
        StepState.APPROVED_BY_DEPUTY: _("代決"),
        StepState.POST_REVIEW: _("代決・後閲済"),
        StepState.RETURNED: _("差戻し"),
        StepState.WAITING: _("承認待ち"),
    }
    cells = [
        {
            "title": _("起案"),
            "name": str(decision.drafter),
            "at": _wareki_time(decision.drafted_at),
            "mark": _("起案"),
        }
    ]
    for step in decision.steps.all():
        acted = step.acted_by
        cells.append(
            {
                "title": step.title,
                "name": str(acted or step.approver),
                "at": _wareki_time(step.acted_at) if step.acted_at else "",
                "mark": marks[StepState(step.state)],
            }
        )
    return {"decision": decision, "approvals": cells}


def _printed_fields(
    fields: list[dict[str, Any]], form: dict[str, str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The form as paper reads it: dates in 和暦, and a repeating group's entries only where
    something was written (a group that does not apply is left out)."""
    shown = {}
    for key, value in form.items():
        field = field_at(fields, key)
        shown[key] = field_type(field["type"]).display(value) if field and value else value
    rows = []
    for row in display_rows(fields, shown, errors):
        if row.get("group"):
            entries = [e for e in row["entries"] if any(c["value"] for c in e["cells"])]
            if not entries and not row["errors"]:
                continue
            row = row | {"entries": entries}
        rows.append(row)
    return rows


def _history(application: Application, decision: Decision | None) -> dict[str, Any]:
    """The 経過 in brief (internal memos when the drafter chose to print them) and the 補正
    exchange: each answer with the items it changed."""
    with_memos = decision is not None and decision.include_memos
    entries = [
        {
            "at": _wareki_time(e.at),
            "label": e.label,
            "actor": e.actor,
            "change": e.change,
            "reason": e.reason,
            "memo": e.memo if with_memos else "",
        }
        for e in timeline(application).entries
    ]
    procedure = application.procedure
    labels = key_labels(procedure.fields, application.form)
    replies = [
        {
            "at": _wareki_time(reply.received_at),
            "changes": [
                (labels.get(k, k), before or "—", after or "—")
                for k, before, after in reply.changes
            ],
        }
        for reply in application.correction_replies.all()
    ]
    return {"history": entries, "replies": replies}


def _print_page(application: Application, evidence: Evidence | None) -> dict[str, Any]:
    """What the print view of one application shows (notices/_application.html)."""
    procedure = application.procedure
    approvals = _approvals(application)
    return (
        approvals
        | _history(application, approvals["decision"])
        | {
            "application": application,
            "procedure": procedure,
            "fields": _printed_fields(procedure.fields, application.form, application.form_errors),
            "attachments": application.attachments,
            "evidence": evidence,
            "arrived": _wareki_time(application.submitted_at),
            "arrived_day": to_wareki(timezone.localdate(application.submitted_at)),
            "paper_signed": _wareki_time(application.paper_signed_at),
            "received": _wareki_time(application.received_at),
            "due": to_wareki(application.due_date),
            "verified": _wareki_time(evidence.verified_at if evidence else None),
            "crl_date": _wareki_time(evidence.crl_this_update if evidence else None),
        }
    )


def _printed_by(user: User) -> dict[str, Any]:
    document = DocumentSettings.current()
    return {
        "printed_at": _wareki_time(timezone.now()),
        "printed_by": str(user),
        # The 回議欄 left to right, and the name, as the municipality set them on screen.
        "municipality": document.municipality_name,
        "kairan": document.kairan_roles,
    }


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
        "notices/application.html", _print_page(application, evidence) | _printed_by(user)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt_number}.pdf"'
    return response


# Applications in one printed batch at most; more is narrowed by procedure.
PRINT_BATCH_LIMIT = 300


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
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    chosen = Application.objects.visible_to(user).filter(
        received_at__gte=start, received_at__lt=start + dt.timedelta(days=1)
    )
    if request.GET.get("procedure"):
        chosen = chosen.filter(procedure__procedure_id=request.GET["procedure"])
    applications = list(
        chosen.select_related("procedure", "resident", "filed_by").order_by("received_at", "id")[
            : PRINT_BATCH_LIMIT + 1
        ]
    )
    if not applications:
        raise Http404(_("その日に受け付けた申請はありません"))
    if len(applications) > PRINT_BATCH_LIMIT:
        return bad_request(
            request, _("%(n)d 件を超えます。手続で絞り込んでください") % {"n": PRINT_BATCH_LIMIT}
        )
    evidences = {
        e.application_id: e
        for e in Evidence.objects.filter(application__in=applications).defer(*PACKAGE_COLUMNS)
    }
    for application in applications:
        record_read(application, user, AuditAction.APPLICATION_PRINTED, {"batch": day.isoformat()})
    pdf = render_pdf(
        "notices/applications.html",
        {
            "day": to_wareki(day),
            "pages": [_print_page(a, evidences.get(a.pk)) for a in applications],
        }
        | _printed_by(user),
    )
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
            "fields": _printed_fields(application.procedure.fields, form, {}),
            "arrived_day": to_wareki(timezone.localdate(application.submitted_at)),
            "municipality": DocumentSettings.current().municipality_name,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt_number}-sheet.pdf"'
    return response
