"""What the applicant reads on the portal when a status changes: the catalog's text for the
status, then the clerk's message word for word, and for a 却下 the 教示 the law requires
(行政不服審査法 第82条: that a 審査請求 may be made, to whom, within what period; 行政事件訴訟法
第46条: the 取消訴訟, its defendant and period). One definition for the preview a clerk
confirms and for what is sent."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import Status

from .models import ApplicantText

# The catalog entry may carry its own (e.g. 要介護認定: 審査請求 goes to the prefecture's
# 介護保険審査会); else this one, with the municipality's name.
REJECTION_NOTICE_KEY = "rejection_notice"


def own_texts(procedure_id: str) -> dict[str, str]:
    """The municipality's wording for this procedure, by status code (and 教示)."""
    return dict(ApplicantText.objects.filter(procedure_id=procedure_id).values_list("kind", "text"))


def status_text(procedure: Procedure, status: Status, own: dict[str, str] | None = None) -> str:
    """What the portal says for ``status``: the municipality's words, else the catalog's."""
    own = own_texts(procedure.procedure_id) if own is None else own
    return own.get(status.value) or procedure.status_messages.get(status.value, "")


def rejection_notice(procedure: Procedure, own: dict[str, str] | None = None) -> str:
    own = own_texts(procedure.procedure_id) if own is None else own
    if own.get(REJECTION_NOTICE_KEY, "").strip():
        return own[REJECTION_NOTICE_KEY].strip()
    catalog = procedure.definition.get(REJECTION_NOTICE_KEY)
    if isinstance(catalog, str) and catalog.strip():
        return catalog.strip()
    return default_rejection_notice()


def default_rejection_notice() -> str:
    name = settings.MUNICIPALITY_NAME or _("市区町村")
    return _(
        "【教示】この処分に不服がある場合は、この処分があったことを知った日の翌日から起算して"
        "3か月以内に、%(head)sに対して審査請求をすることができます。また、この処分の取消しの"
        "訴えは、この処分があったことを知った日(審査請求をした場合は、その審査請求に対する"
        "裁決があったことを知った日)の翌日から起算して6か月以内に、%(name)sを被告として"
        "(訴訟において%(name)sを代表する者は%(head)sとなります。)提起することができます。"
    ) % {"name": name, "head": f"{name}長"}


def applicant_message(procedure: Procedure, status: Status, message: str) -> str:
    """The whole text the portal shows for this change, exactly."""
    own = own_texts(procedure.procedure_id)
    parts = [status_text(procedure, status, own), message.strip()]
    if status == Status.REJECTED:
        parts.append(rejection_notice(procedure, own))
    return "\n".join(part for part in parts if part)
