from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import User
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.cells import spreadsheet_csv, visible_controls
from madoguchi.lib.jpki import ERA_CODES, BasicFour
from madoguchi.lib.mynumber import MASKED
from madoguchi.lib.office_calendar import BUSINESS, counted_days
from madoguchi.lib.pdfpages import PdfError, render_in_child
from madoguchi.lib.wareki import to_wareki, to_wareki_time
from madoguchi.linking.models import Delivery
from madoguchi.notices.models import DocumentSettings
from madoguchi.notices.pdf import render_pdf
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import display_rows, key_labels, postal_warnings
from madoguchi.residents.actions import my_number_matches, reveal_my_number
from madoguchi.residents.constants import Sex
from madoguchi.residents.identification import candidates
from madoguchi.residents.models import Resident

from .access import access_application
from .actions import (
    MANUAL_MATCH_FROM,
    accept_held_correction,
    allowed_transitions,
    assign,
    change_status,
    closed_days,
    for_each,
    may_file,
    record_list_export,
    record_read,
    record_view,
    resolve_identification,
    reveal_form_my_numbers,
    search_registry,
    set_applicant_texts,
    settle_duplicate,
)
from .applicant_text import (
    REJECTION_NOTICE_KEY,
    applicant_message,
    own_texts,
    rejection_notice,
    status_text,
)
from .constants import (
    CONFIRM_FIRST,
    MAY_MOVE_TO,
    PORTAL_STATUS,
    REASON_REQUIRED,
    Channel,
    Identification,
    Status,
)
from .forms import (
    AssignForm,
    BulkForm,
    InboxFilterForm,
    ResolveForm,
    SavedFilterForm,
    TransitionForm,
    colleagues,
)
from .models import (
    Application,
    ApplicationRead,
    ArrivalMail,
    ArrivalSubscription,
    CorrectionReply,
    DuplicateSuspicion,
    Evidence,
    SavedFilter,
)
from .queries import ORDERS, ApplicationQuerySet, InvalidCursor, keyset_page
from .sealing import my_number_keys
from .timeline import timeline

PAGE_SIZE = 50


def _inbox(request: HttpRequest, applications: ApplicationQuerySet, title: str) -> HttpResponse:
    """The inbox: filters, search and keyset paging; with htmx only the results are sent."""
    user = staff_user(request)
    form = InboxFilterForm(request.GET or None, user=user)
    applications = applications.for_list()
    sort = "new"
    status = 200
    if form.is_valid():
        applications = form.apply(applications)
        # Overdue ones are read most overdue first, unless the clerk asks otherwise.
        sort = form.cleaned_data["sort"] or ("due" if form.cleaned_data["overdue"] else "new")
    elif {"received_from", "received_to"} & set(form.errors):
        # A date outside what the office holds: the form says what to correct (400).
        status = 400
    if request.GET.get("format") == "csv" and status == 200:
        return _inbox_csv(request, user, applications, sort)
    try:
        page = keyset_page(
            applications,
            sort,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            size=PAGE_SIZE,
        )
    except InvalidCursor:
        return HttpResponseBadRequest(
            _("ページの位置が正しくありません。一覧の最初から開き直してください。")
        )
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "form": form,
        "options": form.options(),
        "page": page,
        "rows": inbox_rows(page.items, user),
        "labels": {
            "form_errors": _("不備あり"),
            "overdue": _("期限超過"),
            "unread": _("新着"),
            "answered": _("補正回答あり"),
            "duplicate": _("重複の可能性"),
        },
        "title": title,
        "query": query.urlencode(),
        "saved_filters": SavedFilter.objects.filter(user=user),
        "bulk_statuses": [
            s
            for s in Status
            if s not in (Status.HANDED_OFF, Status.RECEIVED, *CONFIRM_FIRST)
            and user.role in MAY_MOVE_TO[s]
        ],
        "colleagues": form.colleague_choices,
    }
    if request.headers.get("HX-Request"):
        return render(request, "applications/_results.html", context, status=status)
    return render(request, "applications/list.html", context, status=status)


# A download holds at most this many applications; narrow the filters for more.
CSV_LIMIT = 10_000


def _inbox_csv(
    request: HttpRequest, user: User, applications: ApplicationQuerySet, sort: str
) -> HttpResponse:
    """The list as the clerk filtered it, as a CSV for a spreadsheet (UTF-8 with a BOM,
    every cell spreadsheet-safe, no 個人番号); the download is audited with its filters."""
    fields = [f"-{name}" if desc else name for name, desc in ORDERS.get(sort, ORDERS["new"])]
    chosen = list(applications.order_by(*fields)[:CSV_LIMIT])
    rows = inbox_rows(chosen, user)
    header = [
        _("受付番号"), _("手続"), _("申請者"), _("カナ"), _("生年月日"), _("受付日時"),
        _("処理期限"), _("担当者"), _("本人特定"), _("ステータス"),
        # New columns go at the end: a clerk's spreadsheet reads the others where they were.
        _("受付経路"),
    ]  # fmt: skip
    cells = [
        [
            r["receipt_number"],
            r["procedure"],
            r["applicant_name"],
            r["applicant_kana"],
            r["birth_date"],
            r["received_at"],
            r["due_date"],
            r["assignee"],
            r["identification_label"],
            r["status_label"],
            r["channel_label"],
        ]  # fmt: skip
        for r in rows
    ]
    query = request.GET.copy()
    query.pop("format", None)
    record_list_export(user, query.urlencode(), len(rows))
    response = HttpResponse(spreadsheet_csv(header, cells), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="applications-{stamp}.csv"'
    return response


def days_left(application: Application, unit: str, today: dt.date, closed: list[dt.date]) -> str:
    """「あと5開庁日」「本日まで」「3開庁日超過」, in the procedure's unit; 補正中 the clock
    stands still (DESIGN.md §8)."""
    if not application.is_open:
        return ""
    if application.status == Status.CORRECTION_REQUESTED:
        return _("補正中(期限停止)")
    word = _("開庁日") if unit == BUSINESS else _("日")
    if application.due_date == today:
        return _("本日まで")
    if application.due_date > today:
        n = counted_days(today, application.due_date, unit, closed)
        return _("あと%(n)d%(u)s") % {"n": n, "u": word}
    n = counted_days(application.due_date, today, unit, closed)
    return _("%(n)d%(u)s超過") % {"n": n, "u": word}


def inbox_rows(applications: list[Application], user: User) -> list[dict[str, Any]]:
    """What each row of the inbox shows, as plain values: labels, dates and links computed
    here once rather than through a template tag or filter per cell; 新着 and 補正回答あり
    for the whole page in two small queries."""
    ids = [a.pk for a in applications]
    read = set(
        ApplicationRead.objects.filter(user=user, application_id__in=ids).values_list(
            "application_id", flat=True
        )
    )
    answered = set(
        CorrectionReply.objects.filter(application_id__in=ids).values_list(
            "application_id", flat=True
        )
    )
    doubtful: set[int] = set()
    for pair in DuplicateSuspicion.objects.filter(
        Q(first_id__in=ids) | Q(second_id__in=ids), settled_at__isnull=True
    ).values_list("first_id", "second_id"):
        doubtful.update(pair)
    channel_labels = {code: str(label) for code, label in Channel.choices}
    # 開庁日 or 暦日 of each procedure on the page, read out of the definitions by the
    # database (Procedure.processing_unit without parsing whole catalog entries).
    units = {
        pk: str(unit or BUSINESS)
        for pk, unit in Procedure.objects.filter(
            pk__in={a.procedure_id for a in applications}
        ).values_list("pk", "definition__processing_days_unit")
    }
    closed = closed_days()
    status_labels = {code: str(label) for code, label in Status.choices}
    identification_labels = {code: str(label) for code, label in Identification.choices}
    link = reverse("applications:detail", args=["0"])[: -len("0/")]
    today = timezone.localdate()
    rows = []
    for a in applications:
        overdue = a.is_open and a.due_date < today
        rows.append(
            {
                "receipt_number": a.receipt_number,
                "url": f"{link}{quote(a.receipt_number)}/",
                "procedure": a.procedure.name,
                "applicant_name": visible_controls(a.applicant_name),
                "applicant_kana": visible_controls(a.applicant_kana),
                "has_form_errors": bool(a.form_errors),
                "unread": a.pk not in read,
                "answered": a.is_open and a.pk in answered,
                "duplicate": a.is_open and a.pk in doubtful,
                "channel": a.channel,
                "channel_label": channel_labels.get(a.channel, a.channel),
                "received_at": timezone.localtime(a.received_at).strftime("%Y-%m-%d %H:%M"),
                "due_date": a.due_date.isoformat(),
                "days_left": days_left(a, units.get(a.procedure_id, BUSINESS), today, closed),
                "birth_date": a.applicant_birth_date.isoformat() if a.applicant_birth_date else "",
                "overdue": overdue,
                "assignee": str(a.assignee) if a.assignee else "—",
                "identification": a.identification,
                "identification_label": identification_labels.get(
                    a.identification, a.identification
                ),
                "status": a.status,
                "status_label": status_labels.get(a.status, a.status),
            }
        )
    return rows


@contextmanager
def refusals_as_messages(request: HttpRequest) -> Iterator[None]:
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


def _comparison(application: Application, basic_four: BasicFour) -> list[dict[str, str]]:
    """The certificate's 基本4情報 beside the registry's, as a clerk reads them."""

    def sex(code: str) -> str:
        return str(Sex(code).label) if code in Sex.values else code

    def with_substitutes(value: str, positions: frozenset[int] | None) -> str:
        return f"{value} ({_('代替文字あり')})" if positions is None or positions else value

    birth_date = basic_four.birth_date or basic_four.raw_birth_date
    if basic_four.era in ERA_CODES and basic_four.birth_date:
        birth_date = f"{birth_date} ({_('元号区分')} {ERA_CODES[basic_four.era]})"
    resident = application.resident
    rows = [
        (
            _("氏名"),
            with_substitutes(basic_four.name, basic_four.name_positions),
            resident.name if resident else "",
        ),
        (_("生年月日"), birth_date, resident.birth_date.isoformat() if resident else ""),
        (_("性別"), sex(basic_four.sex), sex(resident.sex) if resident else ""),
        (
            _("住所"),
            with_substitutes(basic_four.address, basic_four.address_positions),
            resident.address if resident else "",
        ),
    ]
    return [{"item": item, "certificate": c, "registry": r} for item, c, r in rows]


def _registry_search(
    request: HttpRequest, application: Application, user: User
) -> dict[str, Any] | None:
    """The resident search of the manual match, when asked for (?birth=YYYY-MM-DD&who=…)."""
    birth = request.GET.get("birth", "")
    if not birth:
        return None
    who = request.GET.get("who", "").strip()[:100]
    try:
        day = dt.date.fromisoformat(birth)
    except ValueError:
        return {"who": who, "birth": birth, "error": _("生年月日を正しく入力してください")}
    return {"who": who, "birth": birth, "found": search_registry(application, user, who, day)}


# The package bytes stay in the database: screens show their hash and certificate.
PACKAGE_COLUMNS = ("package", "package_sealed")


def _my_number_check(application: Application) -> tuple[str, bool] | None:
    """(the applicant's 個人番号 item, whether it is the registry's number) when the form
    has one and the registry holds the identified resident's: 番号確認 without a reveal."""
    key = application.procedure.field_for("applicant.my_number")
    if not key or application.resident is None or application.form_errors.get(key):
        return None
    value = application.form_with_my_numbers().get(key, "")
    matches = my_number_matches(application.resident, value) if value else None
    return None if matches is None else (key, matches)


def _render_detail(
    request: HttpRequest,
    application: Application,
    *,
    my_number: str | None = None,
    revealed_form: dict[str, str] | None = None,
) -> HttpResponse:
    user = staff_user(request)
    evidence = Evidence.objects.filter(application=application).defer(*PACKAGE_COLUMNS).first()
    basic_four = (
        BasicFour.from_dict(evidence.signer_basic_four)
        if evidence and evidence.signer_basic_four
        else None
    )
    # 個人番号 items show the mask the form keeps, unless a reveal was just recorded.
    shown = application.form if revealed_form is None else revealed_form
    warnings = postal_warnings(application.procedure.fields, shown)
    confirmed = {}
    check = _my_number_check(application)
    if check and check[1]:
        confirmed[check[0]] = _("住民記録の個人番号と一致しています")
    elif check:
        warnings[check[0]] = [_("住民記録の個人番号と一致しません。番号を確かめてください")]
    fields = [
        row | {"warnings": warnings.get(row["id"], []), "confirmed": confirmed.get(row["id"])}
        for row in display_rows(application.procedure.fields, shown, application.form_errors)
    ]
    resolvable = application.identification in MANUAL_MATCH_FROM and user.may_resolve_identification
    resident = application.resident
    labels = key_labels(application.procedure.fields, application.form)
    for reply in application.correction_replies.all():
        labels = key_labels(application.procedure.fields, reply.previous_form) | labels
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "evidence": evidence,
            "fields": fields,
            "transitions": allowed_transitions(application, user),
            "deliveries": Delivery.objects.filter(application=application),
            "correction_replies": [
                {
                    "reply": reply,
                    "changes": [
                        (labels.get(k, k), before, after) for k, before, after in reply.changes
                    ],
                }
                for reply in application.correction_replies.all()
            ],
            "assign_options": AssignForm(
                initial={"assignee": str(application.assignee_id or "")}, user=user
            ).options()["assignee"],
            "attachments": [
                {"index": i, **a, "inline": a["media_type"] in INLINE_TYPES | {PDF}}
                for i, a in enumerate(application.attachments)
            ],
            "reason_required": [s.value for s in REASON_REQUIRED],
            "timeline": timeline(application),
            "comparison": _comparison(application, basic_four) if basic_four else [],
            "resolvable": resolvable,
            "manual_match_needed": application.identification in MANUAL_MATCH_FROM,
            "may_accept_corrections": user.may_resolve_identification,
            "candidates": candidates(basic_four) if resolvable else [],
            "registry_search": _registry_search(request, application, user) if resolvable else None,
            "days_left": days_left(
                application,
                application.procedure.processing_unit,
                timezone.localdate(),
                closed_days(),
            ),
            "duplicates": _duplicates_of(application),
            "may_receive_signature": application.channel != Channel.ONLINE
            and may_file(user, application.procedure),
            "has_my_number": bool(resident and resident.my_number_encrypted is not None),
            "my_number_masked": MASKED,
            "my_number": my_number,
            "may_read_my_number": user.may_read_my_number,
            "sealed_items": bool(my_number_keys(application.procedure.fields, application.form)),
            "form_revealed": revealed_form is not None,
        },
    )


def _duplicates_of(application: Application) -> list[dict[str, Any]]:
    return [
        {"suspicion": s, "other": s.other(application), "blocking": s.blocks(application)}
        for s in DuplicateSuspicion.objects.filter(
            Q(first=application) | Q(second=application)
        ).select_related("first", "second", "settled_by", "first__procedure", "second__procedure")
    ]


@login_required
def duplicate_compare(request: HttpRequest, receipt_number: str, pk: int) -> HttpResponse:
    """重複の可能性: the two applications side by side, item by item, and the settling form
    (both valid, or one withdrawn, with a reason). Showing both is a read of each."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    suspicion = get_object_or_404(
        DuplicateSuspicion.objects.filter(Q(first=application) | Q(second=application)), pk=pk
    )
    other = access_application(user, suspicion.other(application).receipt_number)
    if request.method == "POST":
        choice = request.POST.get("withdraw", "")
        pair = {a.receipt_number: a for a in (application, other)}
        if choice and choice not in pair:
            return HttpResponseBadRequest(_("取り下げる申請が正しくありません"))
        withdraw = pair.get(choice)
        with refusals_as_messages(request):
            settle_duplicate(
                suspicion.pk,
                actor=user,
                withdraw=withdraw,
                reason=request.POST.get("reason", "")[:2000],
            )
            messages.success(request, _("重複の可能性を確認済みにしました"))
            return redirect("applications:detail", receipt_number=receipt_number)
        return redirect(request.path)
    record_view(application, user)
    record_view(other, user)
    labels = key_labels(other.procedure.fields, other.form) | key_labels(
        application.procedure.fields, application.form
    )
    ids = list(labels)
    rows = [
        {
            "label": labels.get(i, i),
            "this": application.form.get(i, ""),
            "other": other.form.get(i, ""),
            "differs": application.form.get(i, "") != other.form.get(i, ""),
        }
        for i in ids
    ]
    return render(
        request,
        "applications/duplicate.html",
        {
            "application": application,
            "other": other,
            "suspicion": suspicion,
            "rows": rows,
            "may_settle": not suspicion.is_settled
            and user.role in MAY_MOVE_TO[Status.READY_FOR_HANDOFF],
        },
    )


@login_required
def application_detail(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    record_view(application, user)
    return _render_detail(request, application)


def _wareki_time(moment: dt.datetime | None) -> str:
    return to_wareki_time(timezone.localtime(moment)) if moment else "—"


def _print_page(application: Application, evidence: Evidence | None) -> dict[str, Any]:
    """What the print view of one application shows (notices/_application.html)."""
    procedure = application.procedure
    return {
        "application": application,
        "procedure": procedure,
        "fields": display_rows(procedure.fields, application.form, application.form_errors),
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


@login_required
@require_POST
def application_my_number(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """Show the applicant's 個人番号 once, to a role that may read it; the read is audited.
    ``source=form``: the 個人番号 items of the application form instead of the registry's."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    if request.POST.get("source") == "form":
        revealed = reveal_form_my_numbers(
            application, viewer=user, purpose=f"application:{receipt_number}"
        )
        return _render_detail(request, application, revealed_form=revealed)
    if application.resident is None or not user.may_read_my_number:
        raise PermissionDenied
    number = reveal_my_number(
        application.resident, viewer=user, purpose=f"application:{receipt_number}"
    )
    return _render_detail(request, application, my_number=number)


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
        return HttpResponseBadRequest(_("日付を YYYY-MM-DD で指定してください"))
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
        return HttpResponseBadRequest(
            _("%(n)d 件を超えます。手続で絞り込んでください") % {"n": PRINT_BATCH_LIMIT}
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
@require_POST
def application_transition(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("入力内容を確認してください"))
        return redirect("applications:detail", receipt_number=receipt_number)
    to_status = Status(form.cleaned_data["to_status"])
    reason, memo = form.cleaned_data["reason"], form.cleaned_data["memo"]
    if to_status in CONFIRM_FIRST and not form.cleaned_data["confirmed"]:
        if not reason.strip():
            messages.error(
                request, _("「%(to)s」には理由の入力が必要です") % {"to": to_status.label}
            )
            return redirect("applications:detail", receipt_number=receipt_number)
        return render(
            request,
            "applications/confirm_transition.html",
            {
                "application": application,
                "to_status": to_status,
                "reason": reason,
                "memo": memo,
                "preview": applicant_message(application.procedure, to_status, reason),
            },
        )
    with refusals_as_messages(request):
        change_status(application.pk, to_status, actor=user, reason=reason, memo=memo)
        messages.success(request, _("ステータスを「%(s)s」に変更しました") % {"s": to_status.label})
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def application_resolve(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    # The role first: who may not match must not learn whether a 宛名番号 exists.
    if not user.may_resolve_identification:
        raise PermissionDenied(_("本人特定を確定できるのは審査担当です"))
    form = ResolveForm(request.POST)
    resident = None
    if form.is_valid():
        # A candidate picked from a list, or a number typed in.
        code = form.cleaned_data["candidate"] or form.cleaned_data["resident"]
        resident = Resident.objects.filter(atena_number=code).first() or (
            Resident.objects.filter(resident_code=code).first()
        )
    if resident is None:
        messages.error(request, _("宛名番号または住民票コードに該当する住民がいません"))
        return redirect("applications:detail", receipt_number=receipt_number)
    with refusals_as_messages(request):
        resolve_identification(application.pk, resident, actor=user, note=form.cleaned_data["note"])
        messages.success(request, _("%(name)s として本人を特定しました") % {"name": resident.name})
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def correction_accept(request: HttpRequest, receipt_number: str, reply_id: int) -> HttpResponse:
    """A reviewer takes a 補正 answer held for its signer into the application."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    reply = get_object_or_404(application.correction_replies, pk=reply_id)
    with refusals_as_messages(request):
        accept_held_correction(reply.pk, actor=user)
        messages.success(request, _("補正の回答を採用しました"))
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def application_assign(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    form = AssignForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, _("担当者を選び直してください"))
        return redirect("applications:detail", receipt_number=receipt_number)
    chosen = form.cleaned_data["assignee"]
    assignee = colleagues(user).get(pk=int(chosen)) if chosen else None
    with refusals_as_messages(request):
        assign(application.pk, assignee, actor=user)
        messages.success(
            request,
            _("担当者を %(name)s にしました") % {"name": assignee}
            if assignee
            else _("担当者を外しました"),
        )
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Several applications at once; every item gets its own result (一括処理)."""
    user = staff_user(request)
    form = BulkForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, _("対象の申請と操作を選んでください"))
        return redirect("applications:list")
    data = form.cleaned_data
    receipt_numbers = data["receipt_numbers"]
    if data["action"] == "transition":
        if not data["to_status"]:
            messages.error(request, _("変更後のステータスを選んでください"))
            return redirect("applications:list")
        to_status = Status(data["to_status"])
        if to_status in CONFIRM_FIRST:
            messages.error(
                request,
                _("「%(s)s」は申請ごとに、申請者への文面を確認してから行ってください")
                % {"s": to_status.label},
            )
            return redirect("applications:list")

        def do(application: Application) -> str:
            change_status(application.pk, to_status, actor=user, reason=data["reason"])
            return _("「%(s)s」に変更しました") % {"s": to_status.label}

    else:
        if not data["assignee"]:
            messages.error(request, _("担当者を選んでください"))
            return redirect("applications:list")
        assignee = (
            None if data["assignee"] == "none" else colleagues(user).get(pk=int(data["assignee"]))
        )

        def do(application: Application) -> str:
            assign(application.pk, assignee, actor=user)
            return _("担当者を %(name)s にしました") % {"name": assignee or _("なし")}

    results = for_each(receipt_numbers, user, do)
    return render(
        request,
        "applications/bulk_results.html",
        {
            "results": results,
            "done": sum(r.ok for r in results),
            "refused": sum(not r.ok for r in results),
        },
    )


@login_required
def applicant_texts(request: HttpRequest, procedure_id: str) -> HttpResponse:
    """申請者への文面: what the portal shows for each status of one procedure, and the 教示
    of its 却下, in the municipality's own words (the catalog's until changed)."""
    user = staff_user(request)
    procedure = Procedure.objects.filter(procedure_id=procedure_id).order_by("-version").first()
    if procedure is None:
        raise Http404
    if not user.may_edit_applicant_texts(procedure.department_id):
        raise PermissionDenied
    kinds = [s for s in Status if s in PORTAL_STATUS]
    if request.method == "POST":
        texts = {s.value: request.POST.get(s.value, "")[:2000] for s in kinds}
        texts[REJECTION_NOTICE_KEY] = request.POST.get(REJECTION_NOTICE_KEY, "")[:4000]
        changed = set_applicant_texts(procedure, texts, actor=user)
        messages.success(request, _("%(n)d 件の文面を保存しました") % {"n": len(changed)})
        return redirect("applicant_texts", procedure_id=procedure_id)
    own = own_texts(procedure_id)
    return render(
        request,
        "applications/applicant_texts.html",
        {
            "procedure": procedure,
            "rows": [
                {
                    "kind": s.value,
                    "label": s.label,
                    "text": status_text(procedure, s, own),
                    "own": s.value in own,
                }
                for s in kinds
            ],
            "notice": {
                "kind": REJECTION_NOTICE_KEY,
                "text": rejection_notice(procedure, own),
                "own": REJECTION_NOTICE_KEY in own,
            },
        },
    )


@login_required
def arrival_mail_settings(request: HttpRequest) -> HttpResponse:
    """新着メールの設定: per procedure of the department, none, immediately or daily."""
    user = staff_user(request)
    visible = Procedure.objects.order_by("procedure_id", "-version")
    if not user.sees_all_departments:
        visible = visible.filter(department=user.department)
    procedures: dict[str, str] = {}
    for procedure_id, name in visible.values_list("procedure_id", "name"):
        procedures.setdefault(procedure_id, name)
    mine = ArrivalSubscription.objects.filter(user=user)
    if request.method == "POST":
        for procedure_id in procedures:
            chosen = request.POST.get(f"mail-{procedure_id}", "")
            if chosen in ArrivalMail.values:
                ArrivalSubscription.objects.update_or_create(
                    user=user, procedure_id=procedure_id, defaults={"frequency": chosen}
                )
            else:
                mine.filter(procedure_id=procedure_id).delete()
        messages.success(request, _("新着メールの設定を保存しました"))
        return redirect("applications:arrival_mail")
    current = dict(mine.values_list("procedure_id", "frequency"))
    return render(
        request,
        "applications/arrival_mail.html",
        {
            "rows": [
                {"id": pid, "name": name, "chosen": current.get(pid, "")}
                for pid, name in procedures.items()
            ],
            "choices": [("", _("送らない")), *ArrivalMail.choices],
            "has_email": bool(user.email),
        },
    )


@login_required
@require_POST
def saved_filter_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        SavedFilter.objects.update_or_create(
            user=user,
            name=form.cleaned_data["name"],
            defaults={"query": form.cleaned_data["query"]},
        )
        messages.success(request, _("条件「%(name)s」を保存しました") % form.cleaned_data)
        return redirect(f"{reverse('applications:list')}?{form.cleaned_data['query']}")
    messages.error(request, _("保存する条件に名前を付けてください"))
    return redirect("applications:list")


@login_required
@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedFilter, pk=pk, user=staff_user(request))
    saved.delete()
    messages.success(request, _("条件「%(name)s」を削除しました") % {"name": saved.name})
    return redirect("applications:list")


# Media types shown in the browser; anything else is only downloaded.
# Raster images are shown as they are; a PDF is shown as pictures of its pages rendered on
# the server (lib/pdfpages.py): a PDF can carry script, and the clerk's browser never gets it.
INLINE_TYPES = {"image/png", "image/jpeg"}
PDF = "application/pdf"


def _attachment(
    request: HttpRequest, receipt_number: str, index: int
) -> tuple[Application, dict[str, Any], bytes]:
    """(application, attachment entry, bytes as signed), within the department boundary."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    if not 0 <= index < len(application.attachments):
        raise Http404
    meta = application.attachments[index]
    if "paper" in meta:  # a scan kept at the counter or from the mail
        document = application.paper_documents.filter(pk=meta["paper"]).first()
        if document is None or not document.content:
            raise Http404
        return application, meta, bytes(document.content)
    if "reply" in meta:  # brought by a 補正 answer
        package = application.correction_replies.get(pk=meta["reply"]).package_bytes
    else:
        evidence = getattr(application, "evidence", None)
        package = evidence.package_bytes if evidence is not None else b""
    if not package:
        raise Http404
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        content = archive.read(f"attachments/{meta['name']}")
    return application, meta, content


def _sandboxed(response: HttpResponse) -> HttpResponse:
    # The file is the applicant's: it may not run script or be framed by anything.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment(request: HttpRequest, receipt_number: str, index: int) -> HttpResponse:
    """An attachment as the applicant signed it (its digest was checked at intake): an image
    shown inline, a PDF shown as page pictures, anything downloaded; each an audited read."""
    application, meta, content = _attachment(request, receipt_number, index)
    wants_view = request.GET.get("download") != "1"
    if wants_view and meta["media_type"] == PDF:
        return redirect("applications:attachment_pages", receipt_number=receipt_number, index=index)
    inline = wants_view and meta["media_type"] in INLINE_TYPES
    record_read(
        application,
        staff_user(request),
        AuditAction.ATTACHMENT_VIEWED,
        {"name": meta["name"], "inline": inline},
    )
    response = HttpResponse(
        content, content_type=meta["media_type"] if inline else "application/octet-stream"
    )
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(meta['name'])}"
    return _sandboxed(response)


@login_required
def attachment_pages(request: HttpRequest, receipt_number: str, index: int) -> HttpResponse:
    """A PDF attachment as one picture per page."""
    application, meta, content = _attachment(request, receipt_number, index)
    if meta["media_type"] != PDF:
        raise Http404
    try:
        pages = int(render_in_child(content, "count"))
    except (PdfError, ValueError):
        pages = 0
    return render(
        request,
        "applications/attachment_pages.html",
        {
            "application": application,
            "attachment": meta,
            "index": index,
            "pages": range(1, pages + 1),
        },
    )


@login_required
def attachment_page(
    request: HttpRequest, receipt_number: str, index: int, page: int
) -> HttpResponse:
    """One page of a PDF attachment as PNG; an audited read."""
    application, meta, content = _attachment(request, receipt_number, index)
    if meta["media_type"] != PDF:
        raise Http404
    try:
        png = render_in_child(content, "render", str(page))
    except PdfError as exc:
        raise Http404(_("このページを表示できません")) from exc
    record_read(
        application,
        staff_user(request),
        AuditAction.ATTACHMENT_VIEWED,
        {"name": meta["name"], "inline": True, "page": page},
    )
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(meta['name'])}-{page}.png"
    return _sandboxed(response)
