"""Where a sign-in is checked: madoguchi's own passwords, and (directory.py, with the
optional django-auth-ldap) the 庁内 directory. Kept apart so that an installation without
a directory never imports python-ldap."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

DIRECTORY_BACKEND = "madoguchi.accounts.directory.DirectoryBackend"


def directory_on() -> bool:
    return bool(settings.LDAP_URI)


class LocalBackend(ModelBackend):
    """madoguchi's own passwords: everyone's without a directory; with one, only the roles
    named in MADOGUCHI_LOCAL_LOGIN_ROLES (the administrator, who must still sign in when
    the directory is down)."""

    def get_user(self, user_id: Any) -> Any:
        """The signed-in member of staff for each request, with their 課 (every page's
        header names it): one query, not two."""
        user = (
            get_user_model()
            ._default_manager.select_related("department")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return not directory_on() or user.role in settings.LOCAL_LOGIN_ROLES
