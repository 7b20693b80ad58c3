"""電子決裁 on screen: an application's 決裁 (where it stands, 承認・代決・差戻し・後閲), the
list of 決裁 waiting for me, and a 課's routes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import Department, User
from madoguchi.vocabulary import ROUTED_DECISIONS, DecisionState, Role, Status, StepState
from madoguchi.web import bad_request, refusals_as_messages

from ..access import access_application
from ..actions.decisions import (
    APPROVER_ROLES,
    MAX_STEPS,
    RouteStep,
    approve_step,
    may_set_routes,
    post_review,
    return_decision,
    set_route,
    waiting_step,
)
from ..models import Application, ApprovalRoute, Decision, DecisionStep
from ..notifications import decisions_waiting_for


def decisions_of(application: Application, user: User) -> list[dict[str, Any]]:
    """The application's 決裁, newest first, each with its steps and what ``user`` may do."""
    shown = []
    for decision in application.decisions.select_related("drafter").prefetch_related(
        "steps__approver", "steps__deputy", "steps__acted_by"
    ):
        steps = list(decision.steps.all())
        waiting = next((s for s in steps if s.state == StepState.WAITING), None)
        if decision.state != DecisionState.IN_PROGRESS:
            waiting = None
        acts = (
            waiting is not None
            and user.pk != decision.drafter_id
            and user.pk in (waiting.approver_id, waiting.deputy_id)
        )
        shown.append(
            {
                "decision": decision,
                "steps": steps,
                "waiting": waiting,
                "may_act": acts,
                "as_deputy": acts and waiting is not None and user.pk == waiting.deputy_id,
                "post_reviews": [
                    s
                    for s in steps
                    if s.state == StepState.APPROVED_BY_DEPUTY and s.approver_id == user.pk
                ],
            }
        )
    return shown


def routed_statuses(application: Application) -> dict[str, str]:
    """The decisions of this application's 課 that go through a route: status → the route
    in brief (「係長 → 課長」)."""
    routes = ApprovalRoute.objects.filter(
        department_id=application.procedure.department_id
    ).prefetch_related("steps")
    return {r.decision: " → ".join(s.title for s in r.steps.all()) for r in routes}


@login_required
@require_POST
def decision_act(request: HttpRequest, receipt_number: str, pk: int) -> HttpResponse:
    """承認 (or 代決) or 差戻し of the step waiting on this user."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    decision = get_object_or_404(Decision, pk=pk, application=application)
    action = request.POST.get("action")
    comment = request.POST.get("comment", "")[:2000]
    with refusals_as_messages(request):
        if action == "approve":
            decision = approve_step(decision.pk, actor=user, comment=comment)
            if decision.state == DecisionState.APPROVED:
                messages.success(
                    request,
                    _("決裁しました。ステータスを「%(s)s」に変更しました")
                    % {"s": decision.get_to_status_display()},
                )
            else:
                step = waiting_step(decision)
                messages.success(
                    request,
                    _("承認しました(次は%(title)sの承認待ち)")
                    % {"title": step.title if step else ""},
                )
        elif action == "return":
            return_decision(decision.pk, actor=user, comment=comment)
            messages.success(request, _("起案者に差し戻しました"))
        else:
            return bad_request(request, _("操作が不正です"))
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def step_post_review(request: HttpRequest, receipt_number: str, pk: int) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    step = get_object_or_404(DecisionStep, pk=pk, decision__application=application)
    with refusals_as_messages(request):
        post_review(step.pk, actor=user, comment=request.POST.get("comment", "")[:2000])
        messages.success(request, _("後閲しました"))
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
def waiting_for_me(request: HttpRequest) -> HttpResponse:
    """決裁待ち: the decisions whose waiting step is mine (or my deputy's turn), and the
    steps decided in my place that I have not read (後閲)."""
    user = staff_user(request)
    mine = [
        {"decision": decision, "step": waiting_step(decision)}
        for decision in decisions_waiting_for(user)
    ]
    to_read = (
        DecisionStep.objects.filter(state=StepState.APPROVED_BY_DEPUTY, approver=user)
        .select_related("decision__application__procedure", "acted_by")
        .order_by("acted_at")
    )
    return render(
        request, "applications/decisions.html", {"waiting": mine, "to_read": list(to_read)}
    )


def _department_for(request: HttpRequest, user: User) -> Department:
    if user.role == Role.ADMINISTRATOR:
        code = request.GET.get("department") or request.POST.get("department")
        if code:
            return get_object_or_404(Department, code=code, merged_into=None)
        first = Department.objects.filter(merged_into=None).order_by("code").first()
        if first is None:
            raise PermissionDenied
        return first
    if user.department is None:
        raise PermissionDenied
    return user.department


@login_required
def routes(request: HttpRequest) -> HttpResponse:
    """A 課's 決裁 routes, one per decision: up to MAX_STEPS steps, each a 職, its approver
    and an optional deputy (代決)."""
    user = staff_user(request)
    department = _department_for(request, user)
    if not may_set_routes(user, department):
        raise PermissionDenied
    staff = list(
        User.objects.filter(
            department=department, is_active=True, role__in=list(APPROVER_ROLES)
        ).order_by("username")
    )
    by_pk = {str(s.pk): s for s in staff}
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision not in ROUTED_DECISIONS:
            return bad_request(request, _("決定が不正です"))
        steps = []
        for n in range(1, MAX_STEPS + 1):
            title = request.POST.get(f"title-{n}", "").strip()[:40]
            approver = by_pk.get(request.POST.get(f"approver-{n}", ""))
            if not title and approver is None:
                continue
            if approver is None:
                messages.error(request, _("%(n)d 段目の承認者を選んでください") % {"n": n})
                return redirect(f"{request.path}?department={department.code}")
            steps.append(RouteStep(title, approver, by_pk.get(request.POST.get(f"deputy-{n}", ""))))
        with refusals_as_messages(request):
            set_route(department, Status(decision), steps, actor=user)
            messages.success(
                request,
                _("「%(d)s」の決裁ルートを保存しました") % {"d": Status(decision).label}
                if steps
                else _("「%(d)s」の決裁ルートをなくしました(担当者がそのまま決定します)")
                % {"d": Status(decision).label},
            )
        return redirect(f"{request.path}?department={department.code}")
    current = {
        r.decision: list(r.steps.all())
        for r in ApprovalRoute.objects.filter(department=department).prefetch_related("steps")
    }
    rows = []
    for decision in ROUTED_DECISIONS:
        kept = current.get(decision, [])
        rows.append(
            {
                "decision": decision,
                "steps": [
                    {
                        "n": n,
                        "step": kept[n - 1] if n <= len(kept) else None,
                    }
                    for n in range(1, MAX_STEPS + 1)
                ],
                "summary": " → ".join(s.title for s in kept),
            }
        )
    return render(
        request,
        "applications/routes.html",
        {
            "department": department,
            "departments": Department.objects.filter(merged_into=None).order_by("code")
            if user.role == Role.ADMINISTRATOR
            else [],
            "rows": rows,
            "staff": staff,
        },
    )
