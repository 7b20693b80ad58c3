"""The 経過 of an application as a clerk reads it: what changed it, in order, with names and
labels instead of login ids and codes; the reads folded into a count and the latest few, so
that the page costs the same after 3,000 views as after one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.vocabulary import Identification, Status, labels_of

from .models import Application

# Reads by a screen: audited one by one, shown folded.
FOLDED = (AuditAction.APPLICATION_VIEWED, AuditAction.ATTACHMENT_VIEWED)
SHOWN = [action for action in AuditAction if action not in FOLDED]
LATEST_READS = 20
# The events whose ``reason`` is what the applicant is (or will be) told.
TOLD = (AuditAction.APPLICATION_STATUS_CHANGED, AuditAction.DECISION_DRAFTED)


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    action: int
    label: str
    actor: str
    change: str  # "受付 → 審査中", or ""
    reason: str  # what the applicant was told
    memo: str  # staff only


@dataclass(frozen=True)
class Timeline:
    entries: list[Entry]
    reads: int
    latest_reads: list[Entry]


def _actor(event: AuditEvent) -> str:
    if event.actor is not None:
        return str(event.actor)
    return _("システム") if event.actor_name == "system" else event.actor_name


def _value(action: int, value: object) -> str:
    if value in (None, ""):
        return _("未割当") if action == AuditAction.APPLICATION_ASSIGNED else "—"
    labels: dict[str, str] = {}
    if action in (AuditAction.APPLICATION_STATUS_CHANGED, AuditAction.DECISION_DRAFTED):
        labels = labels_of(Status)
    elif action == AuditAction.IDENTIFICATION_CHANGED:
        labels = labels_of(Identification)
    return labels.get(str(value), str(value))


def _entry(event: AuditEvent) -> Entry:
    extra = event.extra if isinstance(event.extra, dict) else {}
    change = ""
    if "to" in extra:
        change = f"{_value(event.action, extra.get('from'))} → {_value(event.action, extra['to'])}"
    reason = extra.get("reason", "")
    memo = extra.get("memo", "")
    if event.action == AuditAction.LETTER_RETURNED:
        # Why the post office brought it back, not a message to the applicant.
        change, reason = _("返戻理由: %(r)s") % {"r": reason}, ""
    elif event.action == AuditAction.DUPLICATE_SETTLED:
        memo, reason = reason, ""  # the clerk's note on the pair: staff only
    elif event.action not in TOLD:
        reason = ""
    return Entry(
        at=event.at,
        action=event.action,
        label=event.action_label,
        actor=_actor(event),
        change=change,
        reason=reason if isinstance(reason, str) and reason not in ("crl", "manual") else "",
        memo=memo if isinstance(memo, str) else "",
    )


def timeline(application: Application) -> Timeline:
    """Index range reads over (target, action, seq), whatever the history's length: the
    changes, the latest reads, and the reads counted only when there are more than shown."""
    kind, key = application.audit_target
    events = AuditEvent.objects.filter(target_type=kind, target_id=key).select_related("actor")
    reads = events.filter(action__in=FOLDED)
    latest = list(reads.order_by("-seq")[: LATEST_READS + 1])
    return Timeline(
        entries=[_entry(e) for e in events.filter(action__in=SHOWN).order_by("seq")],
        reads=len(latest) if len(latest) <= LATEST_READS else reads.count(),
        latest_reads=[_entry(e) for e in latest[:LATEST_READS]],
    )
