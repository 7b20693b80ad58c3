"""電子決裁: a decision (基幹連携へ承認, 却下, 完了) that its 課 routes through approvers is
drafted (起案) with its 伺い文 and 審査結果, approved step by step — by the step's approver,
or in their place by the named deputy (代決, read afterwards by the approver: 後閲) — or
returned to the drafter (差戻し) with the reason. It takes effect, through the workflow's
own status change, only when the last step approves: until then nothing is handed over and
the applicant is told nothing. Each step is an audited action."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import Department, User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.vocabulary import ROUTED_DECISIONS, DecisionState, Role, Status, StepState

from ..models import Application, ApprovalRoute, ApprovalRouteStep, Decision, DecisionStep
from .workflow import change_status, check_transition

MAX_STEPS = 5
APPROVER_ROLES = frozenset({Role.REVIEWER, Role.MANAGER})


@dataclass(frozen=True)
class RouteStep:
    title: str
    approver: User
    deputy: User | None = None


def may_set_routes(user: User, department: Department) -> bool:
    """The system administrator, or the 所属長 of the 課."""
    return user.role == Role.ADMINISTRATOR or (
        user.role == Role.MANAGER and user.department_id == department.pk
    )


@transaction.atomic
def set_route(
    department: Department, decision: Status, steps: list[RouteStep], *, actor: User
) -> ApprovalRoute | None:
    """The 課's route for one kind of decision; no steps removes it (decided at once again).
    Decisions already drafted keep the route they were drafted under."""
    if not may_set_routes(actor, department):
        raise PermissionDenied
    if decision not in ROUTED_DECISIONS:
        raise ValidationError(_("決裁ルートを設定できない決定です"))
    if len(steps) > MAX_STEPS:
        raise ValidationError(_("決裁ルートは %(n)d 段までです") % {"n": MAX_STEPS})
    seen: set[int] = set()
    for step in steps:
        if not step.title.strip():
            raise ValidationError(_("各段の職(係長・課長など)を入力してください"))
        for person in (step.approver, step.deputy):
            if person is None:
                continue
            if (
                not person.is_active
                or person.department_id != department.pk
                or person.role not in APPROVER_ROLES
            ):
                raise ValidationError(
                    _("%(name)s さんは%(dept)sの審査担当・所属長ではありません")
                    % {"name": person, "dept": department.name}
                )
        if step.approver.pk in seen:
            raise ValidationError(_("同じ職員が二つの段の承認者になっています"))
        if step.deputy is not None and step.deputy.pk == step.approver.pk:
            raise ValidationError(_("代決者は承認者と別の職員にしてください"))
        seen.add(step.approver.pk)
    ApprovalRoute.objects.filter(department=department, decision=decision).delete()
    route = None
    if steps:
        route = ApprovalRoute.objects.create(department=department, decision=decision)
        ApprovalRouteStep.objects.bulk_create(
            ApprovalRouteStep(
                route=route,
                position=position,
                title=step.title.strip(),
                approver=step.approver,
                deputy=step.deputy,
            )
            for position, step in enumerate(steps, start=1)
        )
    record(
        AuditAction.APPROVAL_ROUTE_CHANGED,
        actor=actor,
        target_type="department",
        target_id=department.code,
        extra={
            "decision": decision.value,
            "steps": [
                {
                    "title": s.title.strip(),
                    "approver": s.approver.username,
                    "deputy": s.deputy.username if s.deputy else None,
                }
                for s in steps
            ],
        },
    )
    return route


@transaction.atomic
def draft_decision(
    application_id: int,
    to_status: Status,
    *,
    actor: User,
    reason: str = "",
    proposal: str = "",
    review: str = "",
    include_memos: bool = False,
) -> Decision:
    """起案: the decision goes to the first step of its 課's route."""
    application = Application.objects.select_for_update().get(pk=application_id)
    reason = reason.strip()
    check_transition(application, to_status, actor, reason)
    route = ApprovalRoute.for_decision(application, to_status)
    if route is None:
        raise ValidationError(_("この決定に決裁ルートはありません"))
    if Decision.objects.filter(application=application, state=DecisionState.IN_PROGRESS).exists():
        raise ValidationError(
            _("決裁中の起案があります。決裁が終わるか差し戻されてから起案してください")
        )
    decision = Decision.objects.create(
        application=application,
        to_status=to_status,
        reason=reason,
        proposal=proposal.strip(),
        review=review.strip(),
        include_memos=include_memos,
        drafter=actor,
    )
    DecisionStep.objects.bulk_create(
        DecisionStep(
            decision=decision,
            position=step.position,
            title=step.title,
            approver_id=step.approver_id,
            deputy_id=step.deputy_id,
        )
        for step in route.steps.all()
    )
    record(
        AuditAction.DECISION_DRAFTED,
        actor=actor,
        target=application,
        extra={
            "decision": decision.pk,
            "to": to_status.value,
            "route": [s.title for s in route.steps.all()],
        },
    )
    return decision


def waiting_step(decision: Decision) -> DecisionStep | None:
    """The step the decision waits on (None once decided or returned)."""
    if decision.state != DecisionState.IN_PROGRESS:
        return None
    return decision.steps.filter(state=StepState.WAITING).order_by("position").first()


def _acting_step(decision_id: int, actor: User) -> tuple[Decision, DecisionStep, bool]:
    """(the decision, its waiting step, whether the actor is the deputy), locked; or why the
    actor may not act on it."""
    decision = (
        Decision.objects.select_for_update().select_related("application").get(pk=decision_id)
    )
    step = waiting_step(decision)
    if step is None:
        raise ValidationError(_("この決裁は終わっています"))
    if actor.pk == step.approver_id:
        by_deputy = False
    elif step.deputy_id is not None and actor.pk == step.deputy_id:
        by_deputy = True
    else:
        raise ValidationError(
            _("この決裁は「%(title)s」の承認待ちです。承認者・代決者だけが決裁できます")
            % {"title": step.title}
        )
    if actor.pk == decision.drafter_id:
        raise ValidationError(_("自分が起案した決裁は承認・差戻しできません"))
    return decision, step, by_deputy


@transaction.atomic
def approve_step(decision_id: int, *, actor: User, comment: str = "") -> Decision:
    """承認 (or 代決) of the waiting step; the last one makes the decision take effect."""
    decision, step, by_deputy = _acting_step(decision_id, actor)
    step.state = StepState.APPROVED_BY_DEPUTY if by_deputy else StepState.APPROVED
    step.acted_by = actor
    step.acted_at = timezone.now()
    step.comment = comment.strip()
    step.save(update_fields=["state", "acted_by", "acted_at", "comment"])
    record(
        AuditAction.DECISION_APPROVED,
        actor=actor,
        target=decision.application,
        extra={
            "decision": decision.pk,
            "step": step.title,
            "position": step.position,
            "by_deputy": by_deputy,
        }
        | ({"comment": step.comment} if step.comment else {}),
    )
    if waiting_step(decision) is None:
        decision.state = DecisionState.APPROVED
        decision.finished_at = step.acted_at
        decision.save(update_fields=["state", "finished_at"])
        change_status(
            decision.application_id,
            Status(decision.to_status),
            actor=actor,
            reason=decision.reason,
            memo=_("決裁済(起案 %(name)s)") % {"name": decision.drafter},
            routed=True,
        )
    return decision


@transaction.atomic
def return_decision(decision_id: int, *, actor: User, comment: str) -> Decision:
    """差戻し: back to the drafter with the reason; the application stays as it was."""
    if not comment.strip():
        raise ValidationError(_("差戻しの理由を入力してください"))
    decision, step, by_deputy = _acting_step(decision_id, actor)
    now = timezone.now()
    step.state = StepState.RETURNED
    step.acted_by, step.acted_at, step.comment = actor, now, comment.strip()
    step.save(update_fields=["state", "acted_by", "acted_at", "comment"])
    decision.state = DecisionState.RETURNED
    decision.finished_at = now
    decision.save(update_fields=["state", "finished_at"])
    record(
        AuditAction.DECISION_RETURNED,
        actor=actor,
        target=decision.application,
        extra={
            "decision": decision.pk,
            "step": step.title,
            "by_deputy": by_deputy,
            "comment": step.comment,
        },
    )
    return decision


@transaction.atomic
def post_review(step_id: int, *, actor: User, comment: str = "") -> DecisionStep:
    """後閲: the approver reads what their deputy decided in their place."""
    step = (
        DecisionStep.objects.select_for_update()
        .select_related("decision__application")
        .get(pk=step_id)
    )
    if step.state != StepState.APPROVED_BY_DEPUTY or actor.pk != step.approver_id:
        raise ValidationError(_("後閲できるのは、代決された段の承認者だけです"))
    step.state = StepState.POST_REVIEW
    step.reviewed_at = timezone.now()
    if comment.strip():
        step.comment = "\n".join(filter(None, [step.comment, comment.strip()]))
    step.save(update_fields=["state", "reviewed_at", "comment"])
    record(
        AuditAction.DECISION_POST_REVIEWED,
        actor=actor,
        target=step.decision.application,
        extra={"decision": step.decision_id, "step": step.title},
    )
    return step
