"""県内の状況: the prefecture's view of the municipalities it supports in a joint service,
from the counts each municipality's installation exported (insights/municipal.py)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import MunicipalityCounts
from .municipal import prefecture_view
from .views import PeriodForm, _reader


def prefecture(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    form = PeriodForm(request.GET or None, user=user)
    start, end, _grain = form.period(timezone.localdate())
    view = prefecture_view(start, end)
    return render(
        request,
        "insights/prefecture.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "view": view,
            "loaded": MunicipalityCounts.objects.order_by("code"),
            "stale_before": timezone.localdate() - dt.timedelta(days=2),
        },
    )
