from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import User


def staff_user(request: HttpRequest) -> User:
    """The signed-in member of staff (views behind login_required only)."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied
    return user
