"""Directory sign-in (庁内 Active Directory / LDAP) through django-auth-ldap.

On with MADOGUCHI_LDAP_URI (docs/administration.md). The directory decides who may sign
in (its own password, a disabled account or a member of the deny group refused), and its
groups decide the 課 and the role: a TOML file maps group DNs to 所属コード and roles. The
account is created or brought up to date at each sign-in, through the audited action.
Local passwords then serve only the roles in MADOGUCHI_LOCAL_LOGIN_ROLES (the
administrator, by default), so the administrator still signs in when the directory is down.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import ldap
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.backend import LDAPBackend, LDAPSettings
from django_auth_ldap.config import (
    ActiveDirectoryGroupType,
    GroupOfNamesType,
    LDAPGroupQuery,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    PosixGroupType,
)

from madoguchi.vocabulary import Role

from .actions import find_department, parse_role, sync_directory_account
from .backends import directory_on
from .models import Department, User

GROUP_TYPES = {
    "groupOfNames": GroupOfNamesType,
    "posixGroup": PosixGroupType,
    "activeDirectory": ActiveDirectoryGroupType,
    "nestedActiveDirectory": NestedActiveDirectoryGroupType,
}


@cache
def _read_groups(path: str) -> tuple[dict[str, str], list[tuple[str, Role]]]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImproperlyConfigured(
            f"MADOGUCHI_LDAP_GROUPS_FILE を読めません: {path}: {exc}"
        ) from exc
    departments = {dn.lower(): str(code) for dn, code in data.get("departments", {}).items()}
    roles = [(dn.lower(), parse_role(str(role))) for dn, role in data.get("roles", {}).items()]
    return departments, roles


def group_map() -> tuple[dict[str, str], list[tuple[str, Role]]]:
    """Group DN → 所属コード, and group DN → role in the file's order (the first a member
    belongs to decides)."""
    if not settings.LDAP_GROUPS_FILE:
        raise ImproperlyConfigured("MADOGUCHI_LDAP_GROUPS_FILE を設定してください")
    return _read_groups(settings.LDAP_GROUPS_FILE)


def placement(group_dns: set[str]) -> tuple[Department | None, Role] | None:
    """The 課 and role the directory's groups give; None when they give no 課 to anyone
    but an administrator."""
    departments, roles = group_map()
    role = next((r for dn, r in roles if dn in group_dns), Role.COUNTER_CLERK)
    codes = sorted(code for dn, code in departments.items() if dn in group_dns)
    if role == Role.ADMINISTRATOR:
        return None, role
    if not codes:
        return None
    return find_department(codes[0]), role


def _attr(ldap_user: Any, name: str) -> str:
    values = ldap_user.attrs.get(name, []) if name else []
    return str(values[0]) if values else ""


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap, configured from madoguchi's settings (settings.py), with the
    account kept by the audited action."""

    _settings: LDAPSettings | None = None

    @property
    def settings(self) -> LDAPSettings:
        if self._settings is None:
            ours = LDAPSettings(self.settings_prefix, self.default_settings)
            ours.SERVER_URI = settings.LDAP_URI
            ours.BIND_DN = settings.LDAP_BIND_DN
            ours.BIND_PASSWORD = settings.LDAP_BIND_PASSWORD
            ours.START_TLS = settings.LDAP_START_TLS
            ours.USER_SEARCH = LDAPSearch(
                settings.LDAP_USER_BASE, ldap.SCOPE_SUBTREE, settings.LDAP_USER_FILTER
            )
            ours.GROUP_SEARCH = LDAPSearch(settings.LDAP_GROUP_BASE, ldap.SCOPE_SUBTREE)
            ours.GROUP_TYPE = GROUP_TYPES[settings.LDAP_GROUP_TYPE]()
            departments, roles = group_map()
            wanted = [*departments, *(dn for dn, _role in roles)]
            if wanted:
                query = LDAPGroupQuery(wanted[0])
                for dn in wanted[1:]:
                    query |= LDAPGroupQuery(dn)
                ours.REQUIRE_GROUP = query
            ours.DENY_GROUP = settings.LDAP_DENY_GROUP or None
            ours.USER_ATTR_MAP = {}
            ours.ALWAYS_UPDATE_USER = True
            ours.CACHE_TIMEOUT = 0
            # A directory that does not answer fails the sign-in in seconds, not minutes.
            ours.CONNECTION_OPTIONS = {
                ldap.OPT_NETWORK_TIMEOUT: settings.LDAP_TIMEOUT_SECONDS,
                ldap.OPT_TIMEOUT: settings.LDAP_TIMEOUT_SECONDS,
                ldap.OPT_REFERRALS: 0,
            }
            self._settings = ours
        return self._settings

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kw: Any
    ) -> User | None:
        if not directory_on():
            return None
        user: User | None = super().authenticate(request, username, password, **kw)
        return user

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        user, built = super().get_or_build_user(username, ldap_user)
        ldap_user.madoguchi_built = built
        return user, built

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> User | None:
        user: User | None = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        placed = placement(set(ldap_user.group_dns))
        if placed is None:
            return None
        department, role = placed
        sync_directory_account(
            user,
            created=getattr(ldap_user, "madoguchi_built", False),
            department=department,
            role=role,
            display_name=_attr(ldap_user, settings.LDAP_NAME_ATTR) or user.username,
            display_name_kana=_attr(ldap_user, settings.LDAP_KANA_ATTR),
            email=_attr(ldap_user, settings.LDAP_MAIL_ATTR),
        )
        return user


def report_unreachable(sender: Any, context: str, request: Any = None, **kwargs: Any) -> None:
    """django-auth-ldap's ldap_error signal: the login form then says the directory could
    not be reached, instead of blaming the password."""
    if request is not None:
        request.directory_unreachable = True
