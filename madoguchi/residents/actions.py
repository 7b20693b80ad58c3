"""Reading and re-keying 個人番号: every read is checked against the role and audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

from . import crypto
from .models import Resident


@transaction.atomic
def reveal_my_number(resident: Resident, *, viewer: User, purpose: str) -> str | None:
    """The resident's 個人番号 in clear, for a role that may read it; the read is audited."""
    if not viewer.may_read_my_number:
        raise PermissionDenied
    if resident.my_number_encrypted is None:
        return None
    record(
        AuditAction.MY_NUMBER_VIEWED,
        actor=viewer,
        target_type="resident",
        target_id=resident.resident_code,
        extra={"purpose": purpose},
    )
    return crypto.decrypt(resident.my_number_encrypted)


def rotate_keys(batch_size: int = 1000) -> int:
    """Re-encrypt every stored 個人番号 under the newest key; returns how many."""
    done = 0
    ids = list(
        Resident.objects.filter(my_number_encrypted__isnull=False).values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            for resident in Resident.objects.select_for_update().filter(
                pk__in=ids[start : start + batch_size]
            ):
                assert resident.my_number_encrypted is not None
                resident.my_number_encrypted = crypto.rotate(resident.my_number_encrypted)
                resident.save(update_fields=["my_number_encrypted"])
                done += 1
    return done
