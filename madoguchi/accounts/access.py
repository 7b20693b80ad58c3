from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import User


def staff_user(request: HttpRequest, *, may: Callable[[User], bool] | None = None) -> User:
    """The signed-in member of staff (views behind login_required only); with ``may``, only
    one for whom it holds (e.g. ``lambda u: u.may_handle_quarantine``), else 403."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied
    if may is not None and not may(user):
        raise PermissionDenied
    return user


def system_administrator(request: HttpRequest) -> User:
    """The signed-in システム管理者 (staff, 課, 稼働状況), else 403."""
    return staff_user(request, may=lambda user: user.may_manage_staff)
