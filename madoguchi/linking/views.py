"""Screens for 方式1 転記 and 方式2 RPA, and the list of hand-overs with resend."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import User
from madoguchi.applications.access import access_application
from madoguchi.applications.actions.reads import record_read, reveal_form_my_numbers
from madoguchi.applications.forms import ApplicationFilterForm
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.cells import spreadsheet_csv
from madoguchi.lib.wareki import to_wareki_short
from madoguchi.web import refusals_as_messages

from .actions import mark_transcribed, remove_gaiji, resend, resend_failed, set_gaiji
from .constants import MARKED_BY_STAFF, DeliveryState
from .gaiji import GaijiTableError
from .models import Delivery, GaijiEntry
from .plugins import all_core_systems, core_system
from .tasks import failures

PAGE_SIZE = 50


class DeliveryFilterForm(ApplicationFilterForm):
    """The 基幹連携 list's filters: the applicant (name, kana, 受付番号), 手続 and 受付日 as
    the inbox has them, with the hand-over's own 連携状況 and 基幹システム."""

    state = forms.ChoiceField(label=gettext_lazy("連携状況"), required=False)
    core_system = forms.ChoiceField(label=gettext_lazy("基幹システム"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        everything = [("", _("すべて"))]
        cast(forms.ChoiceField, self.fields["state"]).choices = everything + list(
            DeliveryState.choices
        )
        cast(forms.ChoiceField, self.fields["core_system"]).choices = everything + [
            (system.key, system.name) for system in all_core_systems()
        ]

    def deliveries(self, user: User) -> QuerySet[Delivery]:
        applications = Application.objects.visible_to(user)
        if not self.is_valid():  # the form says what to correct; nothing half-filtered
            return Delivery.objects.none()
        data = self.cleaned_data
        chosen = Delivery.objects.filter(application__in=self.apply(applications))
        if data["state"]:
            chosen = chosen.filter(state=data["state"])
        if data["core_system"]:
            chosen = chosen.filter(core_system=data["core_system"])
        return chosen


@login_required
def delivery_list(request: HttpRequest) -> HttpResponse:
    """基幹連携: every hand-over of the user's department, failures first in view."""
    user = staff_user(request)
    visible = Delivery.objects.filter(application__in=Application.objects.visible_to(user))
    recent = failures(timezone.now() - dt.timedelta(days=1), among=visible)[:100]
    form = DeliveryFilterForm(request.GET, user=user)
    deliveries = form.deliveries(user).select_related("application__procedure")
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    # Core systems by the names the municipality gave them, not their keys; 受付日 as the
    # clerk reads dates (和暦 or 西暦).
    names: dict[str, str] = {}
    day = to_wareki_short if user.era_dates else dt.date.isoformat
    for delivery in [*page, *recent]:
        if delivery.core_system not in names:
            names[delivery.core_system] = core_system(delivery.core_system).name
        delivery.core_system_name = names[delivery.core_system]  # type: ignore[attr-defined]
        received = timezone.localdate(delivery.application.received_at)
        delivery.received_on = day(received)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    failed_systems = sorted(
        {(d.core_system, names[d.core_system]) for d in recent if d.state == DeliveryState.FAILED}
    )
    return render(
        request,
        "linking/list.html",
        {
            "page": page,
            "form": form,
            "options": form.options(),
            "query": query.urlencode(),
            "recent_failures": recent,
            "failed_systems": failed_systems,
        },
    )


def _delivery_for(request: HttpRequest, receipt_number: str) -> tuple[Application, Delivery]:
    application = access_application(staff_user(request), receipt_number)
    delivery = Delivery.objects.filter(application=application).first()
    if delivery is None:
        raise Http404
    return application, delivery


def _held_character(reason: str) -> str:
    """The character a record was held back for, from its reason (「髙」(U+9AD9)…)."""
    found = re.search(r"\(U\+([0-9A-F]{4,6})\)", reason)
    return chr(int(found.group(1), 16)) if found else ""


@login_required
@require_http_methods(["GET", "POST"])
def transcription(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """方式1/方式2: the record in the core system's input order, one item per row, with
    stable ids and data attributes for an RPA tool. Opening it is an audited read.
    個人番号 items are masked; POST reveal=my_number shows them to a role that may read
    them (an audited read of its own)."""
    user = staff_user(request)
    application, delivery = _delivery_for(request, receipt_number)
    plugin = core_system(delivery.core_system)
    record_read(application, user, AuditAction.APPLICATION_VIEWED, {"screen": "transcription"})
    revealed = None
    if request.method == "POST" and request.POST.get("reveal") == "my_number":
        revealed = reveal_form_my_numbers(
            application, viewer=user, purpose=f"transcription:{receipt_number}"
        )
    items = plugin.items(application, revealed)
    return render(
        request,
        "linking/transcription.html",
        {
            "application": application,
            "delivery": delivery,
            "plugin": plugin,
            "items": items,
            "masked_items": any(item.is_masked for item in items),
            "may_read_my_number": user.may_read_my_number,
            "revealed": revealed is not None,
            "era_dates": plugin.config.era_dates,
            "held_character": _held_character(delivery.last_error) if delivery.held_back else "",
            "may_mark": delivery.state != DeliveryState.ACKNOWLEDGED
            and (delivery.method in MARKED_BY_STAFF or delivery.is_held_back),
        },
    )


@login_required
def record_download(request: HttpRequest, receipt_number: str, extension: str) -> HttpResponse:
    """方式2: one record as JSON or CSV (UTF-8 with BOM, which spreadsheet tools read)."""
    user = staff_user(request)
    application, delivery = _delivery_for(request, receipt_number)
    # 個人番号: in the JSON an RPA tool reads, for a role that may read it (audited); never
    # in the CSV, which people open in a spreadsheet.
    form = None
    if extension == "json" and user.may_read_my_number:
        form = reveal_form_my_numbers(
            application, viewer=user, purpose=f"record.json:{receipt_number}"
        )
    items = core_system(delivery.core_system).items(application, form)
    record_read(
        application,
        user,
        AuditAction.RECORD_DOWNLOADED,
        {"format": extension, "core_system": delivery.core_system},
    )
    name = f"{receipt_number}.{extension}"
    if extension == "json":
        body = json.dumps(
            {
                "receipt_number": receipt_number,
                "core_system": delivery.core_system,
                "procedure_id": application.procedure.procedure_id,
                "procedure_version": application.procedure.version,
                "items": [
                    {"header": i.header, "source": i.source, "value": i.value} for i in items
                ],
            },
            ensure_ascii=False,
            indent=2,
        )
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        # Opened by people in a spreadsheet: no cell may run as a formula.
        response = HttpResponse(
            spreadsheet_csv([i.header for i in items], [[i.value for i in items]]),
            content_type="text/csv; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def transcribed(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """転記済: the record is in the core system; the application becomes 基幹連携済."""
    user = staff_user(request)
    _application, delivery = _delivery_for(request, receipt_number)
    if not request.POST.get("confirmed"):
        messages.error(
            request, _("基幹システムへの入力を確かめてから、確認欄にチェックしてください")
        )
        return redirect("linking:transcription", receipt_number=receipt_number)
    with refusals_as_messages(request):
        mark_transcribed(
            delivery.pk, actor=user, external_key=request.POST.get("external_key", "")[:100]
        )
        messages.success(request, _("転記済にしました"))
    return redirect("linking:transcription", receipt_number=receipt_number)


@login_required
def gaiji_table(request: HttpRequest) -> HttpResponse:
    """外字表: per core system, how a character its encoding cannot hold is written; rows
    entered here join the built-in table and the core system's file (they win)."""
    user = staff_user(request)
    systems = {s.key: s for s in all_core_systems()}
    if request.method == "POST":
        if not user.may_edit_gaiji:
            raise PermissionDenied
        if request.POST.get("remove"):
            remove_gaiji(int(request.POST["remove"]), actor=user)
            messages.success(request, _("外字表から削除しました"))
        else:
            key = request.POST.get("core_system", "")
            if key not in systems:
                raise Http404
            try:
                set_gaiji(
                    key,
                    request.POST.get("character", ""),
                    request.POST.get("replacement", ""),
                    request.POST.get("note", "")[:200],
                    actor=user,
                )
                messages.success(
                    request, _("外字表に登録しました。保留中のデータは次の連携で送られます")
                )
            except GaijiTableError as exc:
                messages.error(request, str(exc))
        return redirect("linking:gaiji")
    held = Delivery.objects.filter(
        held_back=True, application__in=Application.objects.visible_to(user)
    ).values_list("core_system", "last_error")
    return render(
        request,
        "linking/gaiji.html",
        {
            "systems": [
                {
                    "key": key,
                    "name": plugin.name,
                    "own": GaijiEntry.objects.filter(core_system=key),
                    "held": [error for system, error in held if system == key],
                }
                for key, plugin in systems.items()
            ],
            "may_edit": user.may_edit_gaiji,
            "suggested": {
                "core_system": request.GET.get("core_system", ""),
                "character": request.GET.get("character", "")[:1],
            },
        },
    )


@login_required
@require_POST
def resend_failed_view(request: HttpRequest) -> HttpResponse:
    """再送 of every failed record of one core system at once."""
    user = staff_user(request)
    key = request.POST.get("core_system", "")
    with refusals_as_messages(request):
        done = resend_failed(key, actor=user)
        messages.success(
            request,
            _("%(name)s の失敗した連携 %(n)d 件を再送待ちにしました")
            % {"name": core_system(key).name, "n": done},
        )
    return redirect("linking:list")


@login_required
@require_POST
def resend_view(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    _application, delivery = _delivery_for(request, receipt_number)
    with refusals_as_messages(request):
        resend(delivery.pk, actor=user)
        messages.success(request, _("再送待ちにしました。次の連携で送ります"))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("linking:list")
