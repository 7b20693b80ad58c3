"""The audit log's search screen (監査ログ): filters, pages and a CSV download, each
download itself audited. Here, at the top floor, because it names applications and residents
as well as staff; the log itself (audit/) sits low, below everything that writes to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.access import staff_user
from madoguchi.applications.models import Application
from madoguchi.audit.actions import record_log_export
from madoguchi.audit.constants import AUDIT_LABELS, AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.audit.presentation import Codes, details, target_label
from madoguchi.intake.constants import Outcome, Reason
from madoguchi.lib.cells import line_writer, spreadsheet_safe
from madoguchi.linking.constants import DeliveryState
from madoguchi.procedures.models import Procedure
from madoguchi.residents.models import Resident

# Codes of the apps above the log, read as their labels (the log may not import them).
UPPER_CODES: Codes = {
    (AuditAction.APPLICATION_QUARANTINED, "reason"): Reason,
    (AuditAction.QUARANTINE_REPROCESSED, "outcome"): Outcome,
    (AuditAction.QUARANTINE_REPROCESSED, "reason"): Reason,
    (AuditAction.QUARANTINE_REPROCESSED, "was"): Reason,
    (AuditAction.HANDOFF_RESENT, "from"): DeliveryState,
}
PAGE_SIZE = 100
# A download holds at most this many events; narrow the period for more.
EXPORT_LIMIT = 100_000


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("期間(から)"), required=False)
    date_to = forms.DateField(label=_("期間(まで)"), required=False)
    action = forms.TypedChoiceField(
        label=_("操作"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("すべて")), *((int(a), label) for a, label in AUDIT_LABELS.items())],
    )
    actor = forms.CharField(label=_("職員(ユーザー名・表示名)"), required=False, max_length=150)
    target = forms.CharField(
        label=_("対象(受付番号・住民票コード・宛名番号)"), required=False, max_length=64
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered(data: dict[str, Any]) -> tuple[QuerySet[AuditEvent], Resident | None]:
    """The events the filters ask for, newest first; a resident is seen through their
    applications as well as directly."""
    events = AuditEvent.objects.select_related("actor").order_by("-seq")
    resident = None
    if data.get("date_from"):
        events = events.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        events = events.filter(at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    if data.get("action") is not None:
        events = events.filter(action=data["action"])
    if actor := (data.get("actor") or "").strip():
        events = events.filter(Q(actor_name=actor) | Q(actor__display_name=actor))
    if target := (data.get("target") or "").strip():
        resident = Resident.objects.filter(Q(resident_code=target) | Q(atena_number=target)).first()
        condition = Q(target_id=target)
        if resident is not None:
            receipts = Application.objects.filter(
                Q(resident=resident) | Q(signer=resident)
            ).values_list("receipt_number", flat=True)
            condition |= Q(target_type="resident", target_id=resident.resident_code)
            condition |= Q(target_type="application", target_id__in=list(receipts))
        events = events.filter(condition)
    return events, resident


def _procedure_names() -> dict[str, str]:
    """Each 手続's name by its id, the newest version's."""
    return {key: procedure.name for key, procedure in Procedure.current().items()}


def _row(event: AuditEvent, *, whole: bool, procedures: dict[str, str]) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
        "actor": str(event.actor) if event.actor else event.actor_name,
        "login": event.actor_name,
        "action": event.action,
        "action_label": event.action_label,
        "target": target_label(event),
        "details": details(event, whole=whole, more=UPPER_CODES, procedures=procedures),
    }


@login_required
def audit_search(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """監査ログ: who did what, when, to what; filtered, paged by position, downloadable."""
    user = staff_user(request, may=lambda user: user.may_read_audit_log)
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    events, resident = filtered(data)
    if request.GET.get("format") == "csv" and form.is_valid():
        record_log_export(user, {k: str(v) for k, v in data.items() if v not in (None, "")})
        return _csv(events)
    before = request.GET.get("before", "")
    if before.isascii() and before.isdigit():
        events = events.filter(seq__lt=int(before))
    procedures = _procedure_names()
    rows = [_row(e, whole=False, procedures=procedures) for e in events[: PAGE_SIZE + 1]]
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/search.html",
        {
            "form": form,
            "rows": rows[:PAGE_SIZE],
            "next_before": rows[PAGE_SIZE - 1]["seq"] if len(rows) > PAGE_SIZE else None,
            "query": query.urlencode(),
            "resident": resident,
            "actions": [
                ("", _("すべて")),
                *((str(int(a)), lbl) for a, lbl in AUDIT_LABELS.items()),
            ],
            "chosen_action": str(data.get("action") or ""),
        },
    )


def _csv(events: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    """UTF-8 with a BOM (Excel reads it as such), every cell spreadsheet-safe."""
    writer = line_writer()
    procedures = _procedure_names()

    def lines() -> Iterator[str]:
        header = [_("連番"), _("日時"), _("職員"), _("ユーザー名"), _("操作"), _("対象"), _("詳細")]
        yield "\ufeff" + writer.writerow([str(h) for h in header])
        for event in events[:EXPORT_LIMIT].iterator(chunk_size=2000):
            row = _row(event, whole=True, procedures=procedures)
            cells = [
                str(row["seq"]),
                row["at"],
                row["actor"],
                row["login"],
                str(row["action_label"]),
                row["target"],
                row["details"],
            ]
            yield writer.writerow([spreadsheet_safe(c) for c in cells])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
