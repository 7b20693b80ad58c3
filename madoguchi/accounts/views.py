"""職員: the administrator's screens for staff — register, 人事異動 with a 発令日, leavers,
passwords and second factors, the 人事課's list. Each calls one action (actions.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.lib.spreadsheet import decode_spreadsheet_text
from madoguchi.vocabulary import Role

from .access import system_administrator
from .actions import (
    Move,
    StaffError,
    add_staff,
    cancel_move,
    disable_staff,
    enable_staff,
    move_staff,
    reset_password,
    reset_second_factor,
    second_factor_locked,
    set_counter_departments,
    update_staff,
)
from .forms import CounterForm, DetailsForm, ImportForm, MoveForm, StaffForm, form_errors
from .models import StaffMove, User
from .staff_import import import_staff


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    system_administrator(request)
    staff = User.objects.select_related("department").order_by(
        "-is_active", "department__code", "username"
    )
    pending: dict[int, list[StaffMove]] = {}
    for move in StaffMove.objects.filter(applied_at=None).select_related("department"):
        pending.setdefault(move.user_id, []).append(move)
    return render(
        request,
        "accounts/staff.html",
        {
            "staff": [
                {
                    "user": member,
                    "enrolled": bool(member.totp_secret),
                    "locked": second_factor_locked(member),
                    "moves": pending.get(member.pk, []),
                }
                for member in staff
            ]
        },
    )


def _one_time_password(request: HttpRequest, member: User, password: str) -> HttpResponse:
    """Shown once, in this answer only (never in a message kept in a cookie or session)."""
    return render(
        request, "accounts/one_time_password.html", {"member": member, "password": password}
    )


@login_required
def staff_new(request: HttpRequest) -> HttpResponse:
    actor = system_administrator(request)
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member, password = add_staff(
                data["username"],
                display_name=data["display_name"],
                display_name_kana=data["display_name_kana"],
                email=data["email"],
                department=data["department"],
                role=Role(data["role"]),
                actor=actor,
            )
        except StaffError as exc:
            form.add_error(None, str(exc))
        else:
            return _one_time_password(request, member, password)
    return render(request, "accounts/staff_new.html", {"form": form})


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system_administrator(request)
    member = get_object_or_404(User.objects.select_related("department"), pk=pk)
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "member": member,
            "details": DetailsForm(
                initial={
                    "display_name": member.display_name,
                    "display_name_kana": member.display_name_kana,
                    "email": member.email,
                }
            ),
            "move": MoveForm(),
            "counter": CounterForm(initial={"files_for": list(member.files_for.all())}),
            "moves": member.moves.filter(applied_at=None).select_related("department"),
            "enrolled": bool(member.totp_secret),
            "locked": second_factor_locked(member),
        },
    )


def _after(request: HttpRequest, member: User, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("accounts:detail", pk=member.pk)


def _refused(request: HttpRequest, member: User, errors: str) -> HttpResponse:
    messages.error(request, errors)
    return redirect("accounts:detail", pk=member.pk)


@login_required
@require_POST
def staff_update(request: HttpRequest, pk: int) -> HttpResponse:
    actor = system_administrator(request)
    member = get_object_or_404(User, pk=pk)
    form = DetailsForm(request.POST)
    if not form.is_valid():
        return _refused(request, member, form_errors(form))
    try:
        update_staff(member, actor=actor, **form.cleaned_data)
    except StaffError as exc:
        return _refused(request, member, str(exc))
    return _after(request, member, _("%(name)s の情報を変更しました。") % {"name": member})


@login_required
@require_POST
def staff_counter(request: HttpRequest, pk: int) -> HttpResponse:
    actor = system_administrator(request)
    member = get_object_or_404(User, pk=pk)
    form = CounterForm(request.POST)
    if not form.is_valid():
        return _refused(request, member, form_errors(form))
    set_counter_departments(member, list(form.cleaned_data["files_for"]), actor=actor)
    return _after(request, member, _("%(name)s が受付できる課を変更しました。") % {"name": member})


@login_required
@require_POST
def staff_move(request: HttpRequest, pk: int) -> HttpResponse:
    actor = system_administrator(request)
    member = get_object_or_404(User, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, member, form_errors(form))
    data = form.cleaned_data
    try:
        pending = move_staff(
            member,
            Move(data["department"], Role(data["role"]) if data["role"] else None),
            effective_from=data["effective_from"],
            actor=actor,
        )
    except StaffError as exc:
        return _refused(request, member, str(exc))
    if pending is None:
        return _after(request, member, _("%(name)s の異動を反映しました。") % {"name": member})
    return _after(
        request,
        member,
        _("%(name)s の異動を登録しました。%(date)s から新しい所属・役割になります。")
        % {"name": member, "date": pending.effective_from.isoformat()},
    )


@login_required
@require_POST
def staff_cancel_move(request: HttpRequest, pk: int, move_pk: int) -> HttpResponse:
    actor = system_administrator(request)
    pending = get_object_or_404(StaffMove, pk=move_pk, user_id=pk, applied_at=None)
    cancel_move(pending, actor=actor)
    return _after(request, pending.user, _("予定の異動を取り消しました。"))


@login_required
@require_POST
def staff_disable(request: HttpRequest, pk: int) -> HttpResponse:
    actor = system_administrator(request)
    member = get_object_or_404(User, pk=pk)
    try:
        disable_staff(member, actor=actor)
    except StaffError as exc:
        return _refused(request, member, str(exc))
    return _after(
        request,
        member,
        _("%(name)s を無効にしました。ログイン中の画面とAPIトークンも使えなくなりました。")
        % {"name": member},
    )


@login_required
@require_POST
def staff_enable(request: HttpRequest, pk: int) -> HttpResponse:
    actor = system_administrator(request)
    member = get_object_or_404(User, pk=pk)
    enable_staff(member, actor=actor)
    return _after(request, member, _("%(name)s を有効にしました。") % {"name": member})


@login_required
@require_POST
def staff_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    actor = system_administrator(request)
    member = get_object_or_404(User, pk=pk)
    return _one_time_password(request, member, reset_password(member, actor=actor))


@login_required
@require_POST
def staff_reset_second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    actor = system_administrator(request)
    member = get_object_or_404(User, pk=pk)
    reset_second_factor(member, actor=actor)
    messages.success(
        request,
        _("%(name)s の二要素認証をリセットしました。次のログインで登録し直します。")
        % {"name": member},
    )
    return redirect("accounts:staff")


@login_required
def staff_import(request: HttpRequest) -> HttpResponse:
    """Upload → every change shown (nothing changed yet) → 「この内容で反映する」. The file's
    text travels back with the confirmation, so what is applied is what was shown."""
    actor = system_administrator(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST":
        text = request.POST.get("text")
        if text is None and form.is_valid():
            try:
                text = decode_spreadsheet_text(form.cleaned_data["file"].read())
            except ValueError as exc:
                form.add_error("file", str(exc))
        if text is not None:
            apply = request.POST.get("apply") == "1"
            report = import_staff(text.encode("utf-8"), dry_run=not apply, actor=actor)
            context.update(report=report, text=text)
    return render(request, "accounts/staff_import.html", context)
