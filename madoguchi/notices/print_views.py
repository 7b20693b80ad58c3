"""A day's applications printed as one PDF by the worker: asked for from the inbox, the
progress on its own page (polled like a letters batch), the PDF for the one who asked."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.jobs import JobState
from madoguchi.web import bad_request

from .models import PrintRun
from .print_runs import print_path, request_print


@login_required
@require_POST
def print_request(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        return bad_request(request, _("日付を YYYY-MM-DD で指定してください"))
    run = request_print(day, request.POST.get("procedure", ""), actor=user)
    return redirect("notices:print_run", pk=run.pk)


def _own(request: HttpRequest, pk: int) -> PrintRun:
    user = staff_user(request)
    return get_object_or_404(PrintRun, pk=pk, requested_by=user)


@login_required
def print_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = _own(request, pk)
    template = (
        "notices/_print_run.html"
        if request.headers.get("HX-Request")
        else ("notices/print_run.html")
    )
    return render(request, template, {"run": run})


@login_required
def print_file(request: HttpRequest, pk: int) -> HttpResponse:
    run = _own(request, pk)
    if run.state != JobState.DONE or not run.file_name:
        raise Http404
    try:
        data = print_path(run).read_bytes()
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{run.file_name}"'
    return response
