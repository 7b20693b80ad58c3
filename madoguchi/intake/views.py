from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import User

from . import actions
from .constants import Outcome
from .models import QuarantinedPackage


def _administrator(request: HttpRequest) -> User:
    return staff_user(request, may=lambda user: user.may_handle_quarantine)


@login_required
def quarantine_list(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    show_resolved = request.GET.get("resolved") == "1"
    packages = QuarantinedPackage.objects.defer("content", "content_sealed")
    if not show_resolved:
        packages = packages.filter(resolved_at__isnull=True)
    page = Paginator(packages, 50).get_page(request.GET.get("page"))
    return render(request, "intake/quarantine.html", {"page": page, "show_resolved": show_resolved})


@login_required
@require_POST
def quarantine_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    user = _administrator(request)
    result = actions.reprocess(
        get_object_or_404(QuarantinedPackage, pk=pk),
        actor=user,
        late_accepted=request.POST.get("late_accepted") == "1",
    )
    if result.outcome == Outcome.QUARANTINED:
        assert result.reason is not None
        messages.error(
            request,
            _("再処理しましたが、再び隔離されました: %(reason)s") % {"reason": result.reason.label},
        )
    else:
        messages.success(
            request,
            _("再処理しました: %(n)s は「%(outcome)s」になりました")
            % {"n": result.receipt_number, "outcome": result.outcome.label},
        )
    return redirect("intake:quarantine")


@login_required
def quarantine_download(request: HttpRequest, pk: int) -> HttpResponse:
    user = _administrator(request)
    quarantined = get_object_or_404(QuarantinedPackage, pk=pk)
    response = HttpResponse(
        actions.download(quarantined, actor=user), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="quarantine-{quarantined.pk}.zip"'
    return response
