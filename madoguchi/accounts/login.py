"""Login throttling: a username is locked after repeated failures, and every attempt is
audited (LOGIN_SUCCEEDED / LOGIN_FAILED)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import logout, user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.forms import AuthenticationForm
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .actions import end_every_session, record_login, record_logout
from .backends import DIRECTORY_BACKEND
from .models import LoginAttempt, User
from .second_factor import VERIFIED
from .session import start_session, to_login


def is_locked(username: str) -> bool:
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    last_success = (
        LoginAttempt.objects.filter(username=username, succeeded=True, at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    failures = LoginAttempt.objects.filter(
        username=username, succeeded=False, at__gte=last_success or since
    )
    return failures.count() >= settings.LOGIN_FAILURE_LIMIT


class LockoutAuthenticationForm(AuthenticationForm):
    locked = False
    directory_unreachable = False

    def clean(self) -> dict[str, Any]:
        # Keyed as Django keys the login (the field strips, then NFKC): ｍａｄｏｇｕｃｈｉ and
        # " madoguchi" are the same user, and count against the same lock.
        username = User.normalize_username(str(self.data.get("username") or "").strip())
        if username and is_locked(username):
            self.locked = True
            record_login(username, user=None, succeeded=False, ip_address=_client_ip(self.request))
            raise forms.ValidationError(
                _("ログインに続けて失敗したため、このユーザーは %(m)d 分間ロックされています。")
                % {"m": settings.LOGIN_LOCKOUT_SECONDS // 60},
                code="locked",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "directory_unreachable", False):
                self.directory_unreachable = True
                raise forms.ValidationError(
                    _(
                        "庁内ディレクトリ(ログインの確認先)に接続できないため、ログインできません。"
                        "しばらくしてからやり直すか、システム管理者に連絡してください。"
                    ),
                    code="directory_unreachable",
                ) from None
            raise


def _client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_login_failed)
def on_login_failed(
    sender: object,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: object,
) -> None:
    username = str(credentials.get("username", ""))
    record_login(username, user=None, succeeded=False, ip_address=_client_ip(request))


SESSION_GENERATION = "session_generation"


@receiver(user_logged_in)
def on_logged_in(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    request.session[SESSION_GENERATION] = user.session_generation
    start_session(request)
    if settings.LDAP_IS_TWO_FACTOR and getattr(user, "backend", "") == DIRECTORY_BACKEND:
        # The directory's sign-in is itself two-factor (declared by the municipality).
        request.session[VERIFIED] = True
    record_login(user.username, user=user, succeeded=True, ip_address=_client_ip(request))


@receiver(user_logged_out)
def on_logged_out(
    sender: object, request: HttpRequest, user: User | None, **kwargs: object
) -> None:
    if user is not None:
        record_logout(user)


class SessionGenerationMiddleware:
    """Ends a session begun before the user logged out everywhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and (
            request.session.get(SESSION_GENERATION) != user.session_generation
        ):
            logout(request)
            return to_login(request)
        return self.get_response(request)


@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User):
        end_every_session(user)
        logout(request)
    return redirect("login")
