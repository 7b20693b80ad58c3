"""Which 課 handles which procedure, and 組織改正 (merging one 課 into another).

The catalog names a department for each procedure; that is only where a new procedure
starts. The municipality decides who handles it, here, and a later catalog version keeps
the municipality's choice (catalog.py). Here rather than in accounts because both change
procedures as well as staff.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.accounts.actions import StaffError
from madoguchi.accounts.models import Department, StaffMove, User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

from .models import Procedure


@transaction.atomic
def assign_procedure(procedure_id: str, department: Department, *, actor: User | None) -> None:
    """Every version of the procedure goes to ``department``: its applications, open and
    closed, appear in that 課's inbox from the next request."""
    if department.merged_into_id is not None:
        raise StaffError(_("統合された所属には割り当てられません: %(d)s") % {"d": department})
    versions = Procedure.objects.select_for_update().filter(procedure_id=procedure_id)
    before = sorted({code for code in versions.values_list("department__code", flat=True)})
    if not before:
        raise StaffError(_("手続がありません: %(p)s") % {"p": procedure_id})
    if before == [department.code]:
        return
    versions.update(department=department)
    record(
        AuditAction.PROCEDURE_ASSIGNED,
        actor=actor,
        target_type="procedure",
        target_id=procedure_id,
        extra={"from": before, "to": department.code},
    )


@transaction.atomic
def merge_departments(
    source: Department, target: Department, *, actor: User | None
) -> dict[str, int]:
    """組織改正: ``source``'s procedures and staff (and pending 人事異動 into it) go to
    ``target``; ``source`` stays as a name in history and takes nothing new."""
    if source.pk == target.pk:
        raise StaffError(_("同じ所属どうしは統合できません"))
    if target.merged_into_id is not None or source.merged_into_id is not None:
        raise StaffError(_("統合済みの所属は統合できません"))
    procedures = Procedure.objects.filter(department=source).update(department=target)
    staff = User.objects.filter(department=source).update(department=target)
    StaffMove.objects.filter(department=source, applied_at=None).update(department=target)
    Department.objects.filter(pk=source.pk).update(merged_into=target)
    source.merged_into = target
    counts = {"procedures": procedures, "staff": staff}
    record(
        AuditAction.DEPARTMENTS_MERGED,
        actor=actor,
        target_type="department",
        target_id=source.code,
        extra={"into": target.code, **counts},
    )
    return counts
