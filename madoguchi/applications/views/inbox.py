"""The inbox (受付一覧) and the identification queue: filters, pages, CSV, bulk actions, saved
filters."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import User
from madoguchi.accounts.session import safe_next
from madoguchi.applications.actions.identification import (
    MANUAL_MATCH_FROM,
)
from madoguchi.applications.actions.reads import (
    record_list_export,
)
from madoguchi.applications.actions.workflow import (
    assign,
    change_status,
    closed_days,
    for_each,
)
from madoguchi.lib.cells import spreadsheet_csv, visible_controls
from madoguchi.lib.office_calendar import BUSINESS, OfficeDayCounter, counted_days
from madoguchi.lib.wareki import to_wareki_short
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import (
    CONFIRM_FIRST,
    MAY_MOVE_TO,
    ROUTED_DECISIONS,
    Channel,
    Identification,
    Status,
    labels_of,
)
from madoguchi.web import bad_request

from ..forms import (
    BulkForm,
    InboxFilterForm,
    SavedFilterForm,
    colleagues,
)
from ..models import (
    Application,
    ApplicationRead,
    CorrectionReply,
    DuplicateSuspicion,
    SavedFilter,
)
from ..queries import ORDERS, ApplicationQuerySet, InvalidCursor, keyset_page
from .columns import COLUMNS, choices_of, columns_of
from .rows import rows_html

PAGE_SIZE = 50
# The session's key for the list a clerk works through (detail pages' 前へ/次へ).
TRAIL = "inbox_trail"
# The inbox's filters beyond the one-line bar (search, 手続, ステータス, 担当者).
MORE_FILTERS = (
    "department",
    "identification",
    "channel",
    "duplicates",
    "overdue",
    "received_from",
    "received_to",
    "period",
    "unread",
    "answered",
    "sort",
)


def _sort_links(query: QueryDict, sort: str) -> dict[str, str]:
    """The column headers that sort: 受付日時 (newest first, again for oldest first) and
    処理期限 (nearest first), each keeping the filters."""
    links = {}
    for column, wanted in (("received", "old" if sort == "new" else "new"), ("due", "due")):
        chosen = query.copy()
        chosen["sort"] = wanted
        links[column] = "?" + chosen.urlencode()
    return links


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
        return bad_request(
            request, _("ページの位置が正しくありません。一覧の最初から開き直してください。")
        )
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    shown = columns_of(user)
    rows = inbox_rows(page.items, user)
    labels = {
        "form_errors": _("不備あり"),
        "overdue": _("期限超過"),
        "unread": _("新着"),
        "answered": _("補正回答あり"),
        "duplicate": _("重複の可能性"),
    }
    context = {
        "form": form,
        "options": form.options(),
        "page": page,
        "rows": rows,
        "rows_html": rows_html(rows, shown, labels),
        "title": title,
        "columns": [(key, COLUMNS[key]) for key in shown],
        "column_choices": choices_of(user),
        # The conditions behind 「その他の条件」 in use: the panel opens on them.
        "more_filters": sum(1 for name in MORE_FILTERS if request.GET.get(name)),
        "query": query.urlencode(),
        "sort": sort,
        "sort_links": _sort_links(query, sort),
        "saved_filters": SavedFilter.objects.filter(user=user),
        "bulk_statuses": [
            s
            for s in Status
            if s not in (Status.HANDED_OFF, Status.RECEIVED, *CONFIRM_FIRST)
            and user.role in MAY_MOVE_TO[s]
        ],
        "colleagues": form.colleague_choices,
    }
    # 前へ/次へ on the detail pages: this list as the clerk last saw it, its filters kept.
    # Written only when it changed: a session save is a database write, and the inbox is
    # asked again and again (htmx) with the same filters.
    trail = {"list": request.get_full_path(), "receipts": [a.receipt_number for a in page.items]}
    if request.session.get(TRAIL) != trail:
        request.session[TRAIL] = trail
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


def days_left(
    application: Application,
    unit: str,
    today: dt.date,
    closed: list[dt.date],
    counters: dict[str, OfficeDayCounter] | None = None,
) -> str:
    """「あと5開庁日」「本日まで」「3開庁日超過」, in the procedure's unit; 補正中 the clock
    stands still (DESIGN.md §8). ``counters``: one per unit for a page's span (inbox_rows)."""
    if not application.is_open:
        return ""
    if application.status == Status.CORRECTION_REQUESTED:
        return _("補正中(期限停止)")
    word = _("開庁日") if unit == BUSINESS else _("日")
    if application.due_date == today:
        return _("本日まで")
    counter = (counters or {}).get(unit)

    def count(start: dt.date, end: dt.date) -> int:
        return counter.count(start, end) if counter else counted_days(start, end, unit, closed)

    if application.due_date > today:
        return _("あと%(n)d%(u)s") % {"n": count(today, application.due_date), "u": word}
    return _("%(n)d%(u)s超過") % {"n": count(application.due_date, today), "u": word}


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
    channel_labels = labels_of(Channel)
    # 開庁日 or 暦日 of each procedure on the page, read out of the definitions by the
    # database (Procedure.processing_unit without parsing whole catalog entries).
    units = {
        pk: str(unit or BUSINESS)
        for pk, unit in Procedure.objects.filter(
            pk__in={a.procedure_id for a in applications}
        ).values_list("pk", "definition__processing_days_unit")
    }
    closed = closed_days()
    status_labels = labels_of(Status)
    identification_labels = labels_of(Identification)
    link = reverse("applications:detail", args=["0"])[: -len("0/")]
    today = timezone.localdate()
    day = to_wareki_short if user.era_dates else dt.date.isoformat
    # The office days between today and every due date of the page, each looked at once.
    dues = [a.due_date for a in applications] or [today]
    first, last = min(*dues, today), max(*dues, today)
    counters = (
        {u: OfficeDayCounter(first, last, u, closed) for u in set(units.values())}
        if (last - first).days <= 3660  # else each row counts on its own (rare)
        else {}
    )
    rows = []
    for a in applications:
        overdue = a.is_open and a.due_date < today
        received = timezone.localtime(a.received_at)
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
                "received_at": f"{day(received.date())} {received:%H:%M}",
                "due_date": day(a.due_date),
                "days_left": days_left(
                    a, units.get(a.procedure_id, BUSINESS), today, closed, counters
                ),
                "birth_date": day(a.applicant_birth_date) if a.applicant_birth_date else "",
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


def not_opened_since_change(receipt_numbers: list[str], user: User) -> set[str]:
    """Of these applications, those ``user`` has not opened since their status last
    changed."""
    opened = ApplicationRead.objects.filter(
        user=user,
        application__receipt_number__in=receipt_numbers,
        last_read_at__gte=F("application__status_changed_at"),
    ).values_list("application__receipt_number", flat=True)
    return set(receipt_numbers) - set(opened)


def _listed(receipt_numbers: list[str], user: User) -> list[Application]:
    """The selected applications this user may see, in the order selected."""
    found = {
        a.receipt_number: a
        for a in Application.objects.visible_to(user)
        .filter(receipt_number__in=receipt_numbers)
        .select_related("procedure")
    }
    return [found[r] for r in receipt_numbers if r in found]


@login_required
@require_POST
def date_style(request: HttpRequest) -> HttpResponse:
    """和暦 or 西暦 on this member of staff's screens, kept with them."""
    user = staff_user(request)
    user.era_dates = request.POST.get("era_dates") == "1"
    user.save(update_fields=["era_dates"])
    return redirect(safe_next(request))


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

        unopened = not_opened_since_change(receipt_numbers, user)
        if to_status in ROUTED_DECISIONS and unopened and not data["confirmed"]:
            # A decision on applications nobody has read is not made by one click: each is
            # listed to confirm first.
            return render(
                request,
                "applications/bulk_confirm.html",
                {
                    "to_status": to_status,
                    "reason": data["reason"],
                    "applications": _listed(receipt_numbers, user),
                    "unopened": unopened,
                },
            )

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
    listed = {a.receipt_number: a for a in _listed(receipt_numbers, user)}
    return render(
        request,
        "applications/bulk_results.html",
        {
            "results": [(r, listed.get(r.receipt_number)) for r in results],
            "done": sum(r.ok for r in results),
            "refused": sum(not r.ok for r in results),
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
