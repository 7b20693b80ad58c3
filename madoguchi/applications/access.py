from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from madoguchi.accounts.models import User

from .models import Application


def access_application(user: User, receipt_number: str) -> Application:
    """The one place where a department boundary is checked for a single application.

    Applications outside the user's department answer 404, not 403, so that their
    existence is not disclosed.
    """
    application = (
        Application.objects.visible_to(user)
        .select_related("procedure", "procedure__department", "resident")
        .filter(receipt_number=receipt_number)
        .first()
    )
    if application is None:
        raise Http404
    return application


def access_filed_today(user: User, receipt_number: str) -> Application:
    """An application this member filed today at a 総合窓口 for another 課, for the
    resident's sheet while they are at the counter; any other of another 課 answers 404 as
    access_application does (the department boundary holds for reading)."""
    try:
        return access_application(user, receipt_number)
    except Http404:
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        application = (
            Application.objects.select_related("procedure", "procedure__department", "resident")
            .filter(receipt_number=receipt_number, filed_by=user, received_at__gte=start)
            .first()
        )
        if application is None:
            raise
        return application
