"""Sessions that lose nothing: an idle timeout with a warning first, an absolute limit,
the login page told why, and the clerk brought back to the page they were on (never to a
POST-only address). The text typed into a form that was not sent stays in the browser
(static/madoguchi/session.js) and is put back on that page.

Also, on the same request path: a 人事異動 whose 発令日 has come takes effect, and a
password an administrator set is changed before anything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import actions
from .access import staff_user
from .models import User

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
# Activity is written to the session at most this often (one write a minute, not one a
# request); the idle clock is that much coarse.
TOUCH_EVERY = 30

# Why a session ended, as the login page says it.
REASONS = {
    "idle": gettext_lazy(
        "しばらく操作がなかったため、ログアウトしました。もう一度ログインすると、"
        "元の画面に戻ります。入力中の内容はこのブラウザに残っています。"
    ),
    "absolute": gettext_lazy(
        "ログインしてから時間が経ったため、ログアウトしました。もう一度ログインしてください。"
    ),
    "expired": gettext_lazy("ログインの有効期限が切れました。もう一度ログインしてください。"),
}

# Addresses a session's end does not send to the login page: the login itself, the API
# (a token, not a session), files, and the status the warning asks for.
OPEN_PREFIXES = (
    "/login/",
    "/logout/",
    "/static/",
    "/api/",
    "/oauth/",
    "/session/status/",
    "/healthz",
    "/readyz",
)


def safe_next(request: HttpRequest) -> str:
    """Where to return after signing in: this page for a GET, else the page the form was
    on (its Referer, when it is ours), else the inbox."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("home")


def to_login(request: HttpRequest, reason: str | None = None) -> HttpResponse:
    query = {"next": safe_next(request)}
    if reason:
        query["reason"] = reason
    url = f"{reverse('login')}?{urlencode(query)}"
    if request.headers.get("HX-Request"):
        # htmx follows this header with a full page load, not a swap into the page.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def idle_seconds() -> int:
    return int(settings.SESSION_IDLE_SECONDS)


def timeouts(request: HttpRequest) -> dict[str, int]:
    """For the page's warning (a context processor)."""
    return {
        "session_idle_seconds": idle_seconds(),
        "session_warning_seconds": int(settings.SESSION_WARNING_SECONDS),
    }


def _ended(request: HttpRequest, now: float) -> str | None:
    session = request.session
    signed_in = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    if signed_in is None or last_seen is None:
        # A session begun before these keys existed: counted from now.
        session[SIGNED_IN_AT] = signed_in or now
        session[LAST_SEEN] = now
        return None
    if now - float(signed_in) > settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    if now - float(last_seen) > idle_seconds():
        return "idle"
    return None


class StaffSessionMiddleware:
    """After the authentication and session-generation middleware, before the second
    factor's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if not isinstance(user, User):
            if request.method == "POST" and not request.path.startswith(OPEN_PREFIXES):
                # A form sent after the session was gone: back to its page after signing in,
                # not to the POST-only address login_required would name.
                return to_login(request, "expired")
            return self.get_response(request)
        now = time.time()
        reason = _ended(request, now)
        if reason is not None:
            actions.record_session_expired(user, reason)
            logout(request)
            if request.path.startswith("/login/"):
                return self.get_response(request)
            return to_login(request, reason)
        if not request.path.startswith("/session/status/") and (
            now - float(request.session[LAST_SEEN]) > TOUCH_EVERY
        ):
            request.session[LAST_SEEN] = now
        if user.move_due is not None and user.move_due <= actions.today():
            actions.apply_due_moves(user)
        if (
            user.must_change_password
            and not request.path.startswith(("/password/", *OPEN_PREFIXES))
            and request.path != reverse("second_factor")
        ):
            return redirect(
                f"{reverse('password_change')}?{urlencode({'next': safe_next(request)})}"
            )
        return self.get_response(request)


def start_session(request: HttpRequest) -> None:
    """At sign-in (login.py's receiver): both clocks start."""
    request.session[SIGNED_IN_AT] = request.session[LAST_SEEN] = time.time()


class StaffLoginView(LoginView):
    """The login page, saying why the last session ended when it did."""

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        reason = self.request.GET.get("reason", "")
        context["reason"] = REASONS.get(reason)
        return context


def session_status(request: HttpRequest) -> JsonResponse:
    """Seconds left before the idle timeout, for the warning; asking is not activity."""
    if not isinstance(request.user, User):
        return JsonResponse({"remaining": 0})
    left = idle_seconds() - (time.time() - float(request.session.get(LAST_SEEN, time.time())))
    return JsonResponse({"remaining": max(0, int(left))})


@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """「続ける」: activity, so the idle clock starts again."""
    staff_user(request)
    request.session[LAST_SEEN] = time.time()
    return JsonResponse({"remaining": idle_seconds()})


class OwnPasswordForm(PasswordChangeForm):
    old_password = forms.CharField(
        label=gettext_lazy("今のパスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = OwnPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.change_own_password(user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("パスワードを変更しました。"))
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("home")
        return redirect(target)
    return render(
        request,
        "registration/password_change.html",
        {"form": form, "required": user.must_change_password},
    )
