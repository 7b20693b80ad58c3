"""所属(課): the administrator adds, renames and merges 課 (組織改正) and decides which 課
handles each procedure. Here rather than in accounts because procedures move too."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import system_administrator
from madoguchi.accounts.actions import StaffError, add_department, rename_department
from madoguchi.accounts.forms import (
    DepartmentForm,
    MergeForm,
    RenameForm,
    form_errors,
    open_departments,
)
from madoguchi.accounts.models import Department

from .actions import assign_procedure, merge_departments
from .models import Procedure


@login_required
def departments(request: HttpRequest) -> HttpResponse:
    actor = system_administrator(request)
    form = DepartmentForm(request.POST or None)
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise StaffError(form_errors(form))
            department = add_department(
                form.cleaned_data["code"], name=form.cleaned_data["name"], actor=actor
            )
        except StaffError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("所属を追加しました: %(d)s") % {"d": department})
            return redirect("departments")
    current = Procedure.current()
    rows = []
    for department in Department.objects.select_related("merged_into").annotate(
        staff=Count("user", filter=Q(user__is_active=True))
    ):
        rows.append(
            {
                "department": department,
                "staff": department.staff,
                "procedures": sorted(
                    (p for p in current.values() if p.department_id == department.pk),
                    key=lambda p: p.procedure_id,
                ),
            }
        )
    return render(
        request,
        "accounts/departments.html",
        {
            "rows": rows,
            "form": form,
            "open_departments": open_departments(),
            "procedures": sorted(current.values(), key=lambda p: (p.department.code, p.name)),
        },
    )


@login_required
@require_POST
def rename(request: HttpRequest, code: str) -> HttpResponse:
    actor = system_administrator(request)
    department = get_object_or_404(Department, code=code)
    form = RenameForm(request.POST)
    try:
        if not form.is_valid():
            raise StaffError(form_errors(form))
        rename_department(department, name=form.cleaned_data["name"], actor=actor)
    except StaffError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("所属名を変えました: %(d)s") % {"d": department})
    return redirect("departments")


@login_required
@require_POST
def merge(request: HttpRequest, code: str) -> HttpResponse:
    actor = system_administrator(request)
    source = get_object_or_404(Department, code=code)
    form = MergeForm(request.POST)
    try:
        if not form.is_valid():
            raise StaffError(form_errors(form))
        counts = merge_departments(source, form.cleaned_data["into"], actor=actor)
    except StaffError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(s)s を %(t)s に統合しました(手続 %(p)d 版、職員 %(n)d 人)。")
            % {
                "s": source,
                "t": source.merged_into,
                "p": counts["procedures"],
                "n": counts["staff"],
            },
        )
    return redirect("departments")


@login_required
@require_POST
def assign(request: HttpRequest) -> HttpResponse:
    actor = system_administrator(request)
    procedure_id = request.POST.get("procedure", "")
    department = open_departments().filter(code=request.POST.get("department", "")).first()
    try:
        if department is None:
            raise StaffError(_("所属を選んでください"))
        assign_procedure(procedure_id, department, actor=actor)
    except StaffError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(p)s の担当を %(d)s にしました。") % {"p": procedure_id, "d": department},
        )
    return redirect("departments")
