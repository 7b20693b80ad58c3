"""職員: the administrator's list of staff, where a lost authenticator is reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import staff_user
from .actions import reset_second_factor, second_factor_locked
from .models import User


def _manager(request: HttpRequest) -> User:
    return staff_user(request, may=lambda user: user.may_manage_staff)


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    staff = User.objects.select_related("department").order_by("department__code", "username")
    return render(
        request,
        "accounts/staff.html",
        {
            "staff": [
                {
                    "user": member,
                    "enrolled": bool(member.totp_secret),
                    "locked": second_factor_locked(member),
                }
                for member in staff
            ]
        },
    )


@login_required
@require_POST
def staff_reset_second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    member = get_object_or_404(User, pk=pk)
    reset_second_factor(member, actor=actor)
    messages.success(
        request,
        _("%(name)s の二要素認証をリセットしました。次のログインで登録し直します。")
        % {"name": member},
    )
    return redirect("accounts:staff")
