"""発送簿 on screen: the letters sent for the department's applications, and 返戻 (returned
mail) marked where it came back."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.applications.models import Application

from .actions import RETURN_REASONS, mark_returned
from .models import Letter

PAGE_SIZE = 100


@login_required
def letter_list(request: HttpRequest) -> HttpResponse:
    letters = (
        Letter.objects.filter(application__in=Application.objects.visible_to(staff_user(request)))
        .select_related("application__procedure")
        .defer("pdf")
        .order_by("-sent_on", "batch", "id")
    )
    batch = request.GET.get("batch", "")
    if batch:
        letters = letters.filter(batch=batch)
    if request.GET.get("returned"):
        letters = letters.exclude(returned_on=None)
    return render(
        request,
        "notices/letters_list.html",
        {
            "page": Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page")),
            "batch": batch,
            "reasons": RETURN_REASONS,
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
@require_POST
def letter_returned(request: HttpRequest, letter_id: int) -> HttpResponse:
    user = staff_user(request)
    letter = get_object_or_404(
        Letter.objects.filter(application__in=Application.objects.visible_to(user)),
        pk=letter_id,
    )
    try:
        day = dt.date.fromisoformat(request.POST.get("returned_on", ""))
    except ValueError:
        messages.error(request, _("返戻日を正しく入力してください"))
        return redirect("notices:letters")
    reason = request.POST.get("reason", "")
    if reason not in RETURN_REASONS:
        messages.error(request, _("返戻の理由を選んでください"))
        return redirect("notices:letters")
    mark_returned(letter.pk, day, reason, actor=user)
    messages.success(
        request,
        _("受付番号 %(r)s の通知を返戻として記録しました")
        % {"r": letter.application.receipt_number},
    )
    return redirect("notices:letters")
