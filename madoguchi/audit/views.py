from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from madoguchi.accounts.access import staff_user
from madoguchi.applications.models import Application
from madoguchi.residents.models import Resident

from .models import AuditEvent


@login_required
def audit_search(request: HttpRequest) -> HttpResponse:
    """監査ログの検索: who did what, and who saw this resident or this application."""
    staff_user(request, may=lambda user: user.may_read_audit_log)
    target = request.GET.get("target", "").strip()[:64]
    actor = request.GET.get("actor", "").strip()[:150]
    events = AuditEvent.objects.order_by("-seq")
    resident = None
    if target:
        resident = Resident.objects.filter(Q(resident_code=target) | Q(atena_number=target)).first()
        condition = Q(target_id=target)
        if resident is not None:
            # A resident is seen through their applications as well as directly.
            receipts = Application.objects.filter(
                Q(resident=resident) | Q(signer=resident)
            ).values_list("receipt_number", flat=True)
            condition |= Q(target_type="resident", target_id=resident.resident_code)
            condition |= Q(target_type="application", target_id__in=list(receipts))
        events = events.filter(condition)
    if actor:
        events = events.filter(actor_name=actor)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/search.html",
        {"page": page, "target": target, "actor": actor, "resident": resident},
    )
