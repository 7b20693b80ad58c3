"""受付簿 on screen: the day's received applications of the 課, as PDF or CSV (each download
audited), for the clerk who closes the day without the command line."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import Department
from madoguchi.web import bad_request

from .actions import download_receipts
from .registers import registers

KINDS = {"pdf": "application/pdf", "csv": "text/csv; charset=cp932"}


def _day(request: HttpRequest, value: str) -> dt.date | HttpResponse:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return bad_request(request, _("日付は YYYY-MM-DD の形で指定してください"))


@login_required
def receipts(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    day = _day(request, request.GET.get("date") or timezone.localdate().isoformat())
    if isinstance(day, HttpResponse):
        return day
    department = None if user.sees_all_departments else user.department_id
    if department is None and not user.sees_all_departments:
        raise PermissionDenied
    found = [(r.department, len(r.rows)) for r in registers(day, department)]
    return render(request, "notices/receipts_screen.html", {"day": day, "found": found})


@login_required
def receipts_file(request: HttpRequest, day: str, department: str, kind: str) -> HttpResponse:
    user = staff_user(request)
    parsed = _day(request, day)
    if isinstance(parsed, HttpResponse):
        return parsed
    if kind not in KINDS:
        raise Http404
    chosen = get_object_or_404(Department, code=department)
    try:
        data = download_receipts(parsed, chosen.pk, kind, actor=user)
    except (PermissionDenied, LookupError) as exc:
        raise Http404 from exc  # another 課's register does not exist for this user
    response = HttpResponse(data, content_type=KINDS[kind])
    name = f"受付簿-{parsed.isoformat()}-{chosen.code}.{kind}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
