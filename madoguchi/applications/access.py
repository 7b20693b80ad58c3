from __future__ import annotations

from django.http import Http404

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
