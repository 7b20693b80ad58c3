"""内部コメント on an application, and the お知らせ page (what asks for my attention)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.web import refusals_as_messages

from ..access import access_application
from ..actions.comments import add_comment
from ..notifications import notices_for


@login_required
@require_POST
def comment(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    with refusals_as_messages(request):
        added = add_comment(application.pk, request.POST.get("body", ""), actor=user)
        told = [m.display_name or m.username for m in added.mentions.all()]
        messages.success(
            request,
            _("コメントを書きました(お知らせした職員: %(n)s)") % {"n": "、".join(told)}
            if told
            else _("コメントを書きました"),
        )
    return redirect(f"{request.path.rsplit('comments/', 1)[0]}#comments")


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """お知らせ: 決裁 waiting for me, @mentions, 補正回答, 新着 and 明日が期限."""
    user = staff_user(request)
    return render(request, "applications/notices.html", {"groups": notices_for(user)})
