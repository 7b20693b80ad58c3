"""The workflow: a status change (one transaction, row locked, audited), the portal told,
assignment, a bulk action item by item, the applicant texts a 課 sets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.office_calendar import counted_days, extend
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import (
    MAY_MOVE_TO,
    PORTAL_STATUS,
    REASON_REQUIRED,
    TRANSITIONS,
    Channel,
    Status,
)

from ..applicant_text import REJECTION_NOTICE_KEY, applicant_message, rejection_notice, status_text
from ..models import (
    ApplicantText,
    Application,
    ApprovalRoute,
    DuplicateSuspicion,
    PortalStatusUpdate,
)
from ..signals import entering_handoff, leaving_handoff


def allowed_transitions(application: Application, user: User) -> list[Status]:
    """What this member of staff may choose on the screen: 基幹連携済 is not among them, it
    follows from the core system's acknowledgement (or 転記済 on the transcription screen)."""
    return sorted(
        (
            s
            for s in TRANSITIONS[Status(application.status)] - {Status.HANDED_OFF}
            if user.role in MAY_MOVE_TO[s]
        ),
        key=list(Status).index,
    )


def check_transition(
    application: Application,
    to_status: Status,
    actor: User | None,
    reason: str,
    *,
    handoff: bool = False,
) -> None:
    """Refuse, with the reason a clerk reads, a change the workflow does not allow now: not
    this actor's to make, not from this status, without its reason, or with 重複の可能性 open."""
    if (
        actor is not None
        and not Application.objects.visible_to(actor).filter(pk=application.pk).exists()
    ):
        raise PermissionDenied
    current = Status(application.status)
    if actor is not None and actor.role not in MAY_MOVE_TO[to_status]:
        raise ValidationError(
            _("「%(to)s」にできるのは審査担当または所属長です") % {"to": to_status.label}
        )
    if to_status not in TRANSITIONS[current]:
        raise ValidationError(
            _("「%(from)s」から「%(to)s」には変更できません")
            % {"from": current.label, "to": to_status.label}
        )
    if to_status == Status.HANDED_OFF and not handoff:
        raise ValidationError(
            _("基幹連携済には、基幹システムの取込結果または転記画面の「転記済」で変わります")
        )
    if to_status in REASON_REQUIRED and not reason:
        raise ValidationError(_("「%(to)s」には理由の入力が必要です") % {"to": to_status.label})
    if to_status == Status.READY_FOR_HANDOFF and blocking_duplicates(application):
        raise ValidationError(
            _("重複の可能性がある申請です。もう一方と見比べて確認を済ませてから承認してください")
        )


@transaction.atomic
def change_status(
    application_id: int,
    to_status: Status,
    *,
    actor: User | None,
    reason: str = "",
    memo: str = "",
    handoff: bool = False,
    routed: bool = False,
) -> Application:
    """Move one application along the workflow; the row is locked for the change.

    ``reason`` is the message to the applicant (the portal shows it word for word, see
    applicant_text); ``memo`` is for staff only and stays in the audit log and the 経過.

    基幹連携待ち schedules the delivery to the core system; 基幹連携済 is reached only from
    a delivery's acknowledgement (``handoff=True``, linking.actions.acknowledge). A decision
    its 課 routes through approvers (電子決裁) is made only by the route's last approval
    (``routed=True``, actions/decisions.py).
    """
    application = Application.objects.select_for_update().get(pk=application_id)
    current = Status(application.status)
    reason = reason.strip()
    check_transition(application, to_status, actor, reason, handoff=handoff)
    if not routed and ApprovalRoute.for_decision(application, to_status) is not None:
        raise ValidationError(
            _("「%(to)s」は決裁ルートを通して決めます。起案してください") % {"to": to_status.label}
        )
    if current == Status.READY_FOR_HANDOFF and to_status != Status.HANDED_OFF:
        leaving_handoff.send(Application, application=application)
    if to_status == Status.READY_FOR_HANDOFF:
        entering_handoff.send(Application, application=application)
    now = timezone.now()
    requested = timezone.localdate(application.status_changed_at)
    if current == Status.CORRECTION_REQUESTED and requested <= application.due_date:
        # The clock stopped while the applicant corrected: the deadline moves by those days.
        # A 補正 asked for after the deadline stops no clock: the days already overdue stay
        # overdue (and count so in the on-time rate).
        unit, closed = application.procedure.processing_unit, closed_days()
        paused = counted_days(requested, timezone.localdate(now), unit, closed)
        application.due_date = extend(application.due_date, paused, unit, closed)
    application.status = to_status
    application.status_changed_at = now
    application.save(update_fields=["status", "status_changed_at", "due_date"])
    _queue_portal_update(application, to_status, reason)
    record(
        AuditAction.APPLICATION_STATUS_CHANGED,
        actor=actor,
        target=application,
        extra={"from": current.value, "to": to_status.value, "reason": reason}
        | ({"memo": memo.strip()} if memo.strip() else {}),
    )
    return application


def _queue_portal_update(application: Application, status: Status, reason: str) -> None:
    """Tell the applicant, unless the portal already shows the same thing (or it was not
    filed through the portal: a counter or mail applicant is told by letter)."""
    if application.channel != Channel.ONLINE:
        return
    portal_status = PORTAL_STATUS.get(status)
    if portal_status is None:
        return
    message = applicant_message(application.procedure, status, reason)
    last = application.portalstatusupdate_set.order_by("-id").first()
    if last is not None and last.status == portal_status and last.message == message:
        return
    PortalStatusUpdate.objects.create(
        application=application, status=portal_status, message=message
    )


@transaction.atomic
def assign(application_id: int, assignee: User | None, *, actor: User) -> Application:
    """Give an application to a member of its department (or to no one)."""
    application = (
        Application.objects.select_for_update().select_related("procedure").get(pk=application_id)
    )
    if not Application.objects.visible_to(actor).filter(pk=application_id).exists():
        raise PermissionDenied
    if assignee is not None and (
        not assignee.is_active or assignee.department_id != application.procedure.department_id
    ):
        raise ValidationError(_("担当者は申請の所属の職員から選んでください"))
    previous = application.assignee
    if previous == assignee:
        return application
    application.assignee = assignee
    application.save(update_fields=["assignee"])
    record(
        AuditAction.APPLICATION_ASSIGNED,
        actor=actor,
        target=application,
        extra={
            "from": previous.username if previous else None,
            "to": assignee.username if assignee else None,
        },
    )
    return application


@dataclass
class ItemResult:
    """What a bulk operation did to one application."""

    receipt_number: str
    ok: bool
    message: str


def for_each(
    receipt_numbers: list[str], actor: User, do: Callable[[Application], str]
) -> list[ItemResult]:
    """Run one action per application, each in its own transaction: one refusal leaves the
    others done, and every item gets its own result."""
    visible = dict(
        Application.objects.visible_to(actor)
        .filter(receipt_number__in=receipt_numbers)
        .values_list("receipt_number", "pk")
    )
    results = []
    for receipt_number in receipt_numbers:
        if receipt_number not in visible:
            results.append(ItemResult(receipt_number, False, _("申請が見つかりません")))
            continue
        try:
            message = do(Application(pk=visible[receipt_number]))
        except ValidationError as exc:
            results.append(ItemResult(receipt_number, False, " ".join(exc.messages)))
        except PermissionDenied:
            results.append(ItemResult(receipt_number, False, _("この操作の権限がありません")))
        else:
            results.append(ItemResult(receipt_number, True, message))
    return results


@transaction.atomic
def set_applicant_texts(procedure: Procedure, texts: dict[str, str], *, actor: User) -> list[str]:
    """The municipality's wording of what applicants read (by status code, or the 教示);
    a text equal to the catalog's (or empty) goes back to the catalog's. Returns the kinds
    changed, each audited with its old and new words."""
    if not actor.may_edit_applicant_texts(procedure.department_id):
        raise PermissionDenied
    changed = []
    for kind, text in texts.items():
        text = text.strip()
        # The words the applicant reads with no wording of the municipality's own.
        catalog = (
            rejection_notice(procedure, own={})
            if kind == REJECTION_NOTICE_KEY
            else status_text(procedure, Status(kind), own={})
        )
        current = ApplicantText.objects.filter(procedure_id=procedure.procedure_id, kind=kind)
        before = current.values_list("text", flat=True).first() or catalog
        text = text or catalog.strip()
        if text == before.strip():
            continue
        if text == catalog.strip():
            current.delete()
        else:
            ApplicantText.objects.update_or_create(
                procedure_id=procedure.procedure_id,
                kind=kind,
                defaults={"text": text, "updated_by": actor},
            )
        record(
            AuditAction.APPLICANT_TEXT_CHANGED,
            actor=actor,
            target_type="procedure",
            target_id=procedure.procedure_id,
            extra={"kind": kind, "from": before, "to": text},
        )
        changed.append(kind)
    return changed


def blocking_duplicates(application: Application) -> list[DuplicateSuspicion]:
    """The 重複の可能性 that keep it from being approved (DuplicateSuspicion.blocks)."""
    return [
        s
        for s in DuplicateSuspicion.objects.filter(
            Q(first=application) | Q(second=application), settled_at__isnull=True
        ).select_related("first", "second")
        if s.blocks(application)
    ]


def closed_days() -> list[dt.date]:
    """The days this municipality closes besides the national calendar (settings)."""
    return [dt.date.fromisoformat(day) for day in settings.CLOSED_DAYS]
