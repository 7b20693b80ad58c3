"""The second factor: a TOTP code after the password, for roles that may read 個人番号."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.lib import totp

from .access import staff_user
from .actions import (
    accept_second_factor_code,
    record_second_factor_failure,
    second_factor_locked,
)
from .models import User
from .session import safe_next

VERIFIED = "second_factor_verified"
PENDING_KEY = "second_factor_pending"
# The API authenticates each request by token, not by this session.
EXEMPT_PREFIXES = (
    "/second-factor/",
    "/login/",
    "/logout/",
    "/static/",
    "/api/",
    "/oauth/",
    "/healthz",
    "/readyz",
)


class SecondFactorMiddleware:
    """Until the code is given, a user who needs it reaches nothing but the code screen."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and user.needs_second_factor
            and not request.session.get(VERIFIED)
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            return redirect(f"{reverse('second_factor')}?{urlencode({'next': safe_next(request)})}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("確認コード(6桁)"), max_length=8)


def _locked_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.error(
        request,
        _(
            "確認コードを続けて間違えたため、二要素認証がロックされています。"
            "時間をおいてやり直すか、システム管理者にリセットを依頼してください。"
        ),
    )
    return redirect("login")


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not user.needs_second_factor or request.session.get(VERIFIED):
        return redirect("home")
    if second_factor_locked(user):
        return _locked_out(request)
    secret = user.totp_secret or request.session.setdefault(PENDING_KEY, totp.new_secret())
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if accept_second_factor_code(user, secret, form.cleaned_data["code"]):
            request.session.pop(PENDING_KEY, None)
            request.session[VERIFIED] = True
            target = request.GET.get("next", "")
            return redirect(
                target if target.startswith("/") and not target.startswith("//") else "home"
            )
        if record_second_factor_failure(user):
            return _locked_out(request)
        form.add_error("code", _("確認コードが正しくないか、すでに使われています。"))
    uri = totp.provisioning_uri(secret, user.username) if not user.totp_secret else None
    return render(
        request,
        "registration/second_factor.html",
        {
            "form": form,
            "enrolling": not user.totp_secret,
            "secret": secret if not user.totp_secret else None,
            "uri": uri,
            # The same URI as a QR code for the app's camera, an SVG picture (no script).
            "qr": segno.make(uri, error="m").svg_data_uri(scale=5) if uri else None,
        },
    )
