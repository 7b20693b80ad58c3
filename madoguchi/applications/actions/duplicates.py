"""重複の可能性: flagged on arrival, settled by a clerk before a decision."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.text import normalize_for_match
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import (
    MAY_MOVE_TO,
    OPEN_STATUSES,
    Settlement,
    Status,
)

from ..models import (
    Application,
    DuplicateSuspicion,
)
from .workflow import change_status


def flag_duplicates(application: Application) -> list[DuplicateSuspicion]:
    """重複の可能性: the same resident (the same registry link, whatever the channel) and
    procedure as another application still open, or completed within the catalog's
    ``duplicate_window_days``; with the catalog's ``duplicate_key`` fields (e.g. the
    child of a 認定請求) equal too. Marked on both, in both timelines."""
    if application.resident_id is None:
        return []
    found = []
    others = possible_duplicates(
        application.resident_id, application.procedure, application.form, application.pk
    )
    for other in others:
        first, second = sorted((application, other), key=lambda a: a.pk)
        suspicion, created = DuplicateSuspicion.objects.get_or_create(first=first, second=second)
        if not created:
            continue
        found.append(suspicion)
        for one, two in ((application, other), (other, application)):
            record(
                AuditAction.DUPLICATE_SUSPECTED,
                actor=None,
                target=one,
                extra={"other": two.receipt_number, "suspicion": suspicion.pk},
            )
    return found


def possible_duplicates(
    resident_id: int, procedure: Procedure, form: dict[str, str], exclude: int = 0
) -> list[Application]:
    """The applications an application of this resident, procedure and form would be a
    重複の可能性 of (before it is filed, for the counter's warning; ``exclude``: itself)."""
    definition = procedure.definition
    window = int(definition.get("duplicate_window_days", 0))
    # Asked for every application received: the SQL is written once, as for the other
    # per-package lookups (building it through the ORM cost more than running it).
    table = Application._meta.db_table
    procedures = Procedure._meta.db_table
    alive = sorted(OPEN_STATUSES)
    since = timezone.now() - dt.timedelta(days=window)
    others = Application.objects.raw(
        f"SELECT a.id, a.receipt_number, a.form, a.status, a.received_at FROM {table} a"  # noqa: S608
        f" JOIN {procedures} p ON p.id = a.procedure_id"
        " WHERE a.resident_id = %s AND a.id <> %s AND p.procedure_id = %s"
        f" AND (a.status IN ({', '.join(['%s'] * len(alive))})"
        " OR (%s AND a.status = %s AND a.status_changed_at >= %s))",
        [
            resident_id,
            exclude,
            procedure.procedure_id,
            *alive,
            window > 0,
            Status.COMPLETED.value,
            connection.ops.adapt_datetimefield_value(since),
        ],
    )
    key = [str(k) for k in definition.get("duplicate_key", [])]
    return [
        other
        for other in others
        if all(
            normalize_for_match(str(other.form.get(k, "")))
            == normalize_for_match(str(form.get(k, "")))
            for k in key
        )
    ]


@transaction.atomic
def settle_duplicate(
    suspicion_id: int, *, actor: User, withdraw: Application | None, reason: str
) -> DuplicateSuspicion:
    """A reviewer or manager settles a 重複の可能性: both valid, or one of the two withdrawn
    (the reason goes to its applicant as a 取下げ's does). Audited on both."""
    suspicion = (
        DuplicateSuspicion.objects.select_for_update()
        .select_related("first", "second")
        .get(pk=suspicion_id)
    )
    pair = (suspicion.first, suspicion.second)
    visible = Application.objects.visible_to(actor).filter(pk__in=[a.pk for a in pair]).count()
    if visible != 2:
        raise PermissionDenied
    if actor.role not in MAY_MOVE_TO[Status.READY_FOR_HANDOFF]:
        raise ValidationError(_("重複の確認ができるのは審査担当または所属長です"))
    if suspicion.is_settled:
        raise ValidationError(_("この重複の可能性は確認済みです"))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("確認した内容(理由)を入力してください"))
    if withdraw is not None:
        if withdraw.pk not in (a.pk for a in pair):
            raise ValidationError(_("取り下げる申請が正しくありません"))
        change_status(withdraw.pk, Status.WITHDRAWN, actor=actor, reason=reason)
    suspicion.settled_at = timezone.now()
    suspicion.settled_by = actor
    suspicion.settlement = Settlement.WITHDRAWN if withdraw is not None else Settlement.BOTH_VALID
    suspicion.reason = reason
    suspicion.save()
    for one, two in (pair, pair[::-1]):
        record(
            AuditAction.DUPLICATE_SETTLED,
            actor=actor,
            target=one,
            extra={
                "other": two.receipt_number,
                "settlement": suspicion.settlement,
                "withdrawn": withdraw.receipt_number if withdraw else None,
                "reason": reason,
            },
        )
    return suspicion
