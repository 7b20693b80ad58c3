"""Background work on applications; each step takes ids and is safe to repeat."""

from __future__ import annotations

from .actions import recheck_revocation
from .constants import Identification
from .models import Application


def recheck_pending_revocations() -> int:
    """Re-check every application held as 確認待ち against the CRLs now loaded."""
    pending = Application.objects.filter(
        identification=Identification.REVOCATION_PENDING
    ).values_list("pk", flat=True)
    return sum(recheck_revocation(pk) for pk in list(pending))
