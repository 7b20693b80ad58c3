"""The inbox's columns as each member of staff chose and ordered them (表示する列), kept with
them (User.inbox_columns). 受付番号 and the pick box always lead: a row is found and
selected by them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import User
from madoguchi.accounts.session import safe_next

# Every column a clerk may show, in the order shown until they choose (the key is what
# User.inbox_columns keeps; a renamed key would drop from every saved choice).
COLUMNS = {
    "procedure": gettext_lazy("手続"),
    "applicant_name": gettext_lazy("申請者"),
    "applicant_kana": gettext_lazy("カナ"),
    "birth_date": gettext_lazy("生年月日"),
    "received_at": gettext_lazy("受付日時"),
    "due_date": gettext_lazy("処理期限"),
    "status": gettext_lazy("ステータス"),
    "identification": gettext_lazy("本人特定"),
    "assignee": gettext_lazy("担当者"),
}
# The most a position may be: more than there are columns leaves room to type 10, 20, 30.
LAST_POSITION = 99


def columns_of(user: User) -> list[str]:
    """The columns this member of staff shows, in their order (every column when they have
    not chosen; a key no longer known is passed over)."""
    if user.inbox_columns is None:
        return list(COLUMNS)
    return [key for key in user.inbox_columns if key in COLUMNS]


def choices_of(user: User) -> list[tuple[str, str, bool, int]]:
    """Each column for the chooser: key, label, shown, position (hidden ones after)."""
    shown = columns_of(user)
    hidden = [key for key in COLUMNS if key not in shown]
    return [
        (key, str(COLUMNS[key]), key in shown, position)
        for position, key in enumerate([*shown, *hidden], start=1)
    ]


@login_required
@require_POST
def inbox_columns(request: HttpRequest) -> HttpResponse:
    """Save which columns the inbox shows and in what order; 「元に戻す」 brings back all."""
    user = staff_user(request)
    if request.POST.get("reset"):
        user.inbox_columns = None
        user.save(update_fields=["inbox_columns"])
        messages.success(request, _("一覧の列を元に戻しました"))
        return redirect(safe_next(request))
    ranked = []
    for default, key in enumerate(COLUMNS):
        if not request.POST.get(f"show-{key}"):
            continue
        given = request.POST.get(f"order-{key}", "").strip()
        try:
            position = int(given)
        except ValueError:
            position = 0
        if not 1 <= position <= LAST_POSITION:
            messages.error(
                request,
                _("「%(column)s」の順番は 1 から %(last)d までの数で入力してください")
                % {"column": COLUMNS[key], "last": LAST_POSITION},
            )
            return redirect(safe_next(request))
        ranked.append((position, default, key))
    # None shown leaves 受付番号 alone, the one column that cannot go.
    user.inbox_columns = [key for _p, _d, key in sorted(ranked)]
    user.save(update_fields=["inbox_columns"])
    messages.success(request, _("一覧の列を保存しました"))
    return redirect(safe_next(request))
