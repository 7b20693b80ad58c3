"""What a 課 sets for its applicants and clerks: the applicant texts of a procedure, the
arrival mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from madoguchi.accounts.access import staff_user
from madoguchi.applications.actions.workflow import (
    set_applicant_texts,
)
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import (
    PORTAL_STATUS,
    Status,
)

from ..applicant_text import (
    REJECTION_NOTICE_KEY,
    own_texts,
    rejection_notice,
    status_text,
)
from ..models import (
    ArrivalMail,
    ArrivalSubscription,
)


@login_required
def applicant_texts(request: HttpRequest, procedure_id: str) -> HttpResponse:
    """申請者への文面: what the portal shows for each status of one procedure, and the 教示
    of its 却下, in the municipality's own words (the catalog's until changed)."""
    user = staff_user(request)
    procedure = Procedure.objects.filter(procedure_id=procedure_id).order_by("-version").first()
    if procedure is None:
        raise Http404
    if not user.may_edit_applicant_texts(procedure.department_id):
        raise PermissionDenied
    kinds = [s for s in Status if s in PORTAL_STATUS]
    if request.method == "POST":
        texts = {s.value: request.POST.get(s.value, "")[:2000] for s in kinds}
        texts[REJECTION_NOTICE_KEY] = request.POST.get(REJECTION_NOTICE_KEY, "")[:4000]
        changed = set_applicant_texts(procedure, texts, actor=user)
        messages.success(request, _("%(n)d 件の文面を保存しました") % {"n": len(changed)})
        return redirect("applicant_texts", procedure_id=procedure_id)
    own = own_texts(procedure_id)
    return render(
        request,
        "applications/applicant_texts.html",
        {
            "procedure": procedure,
            "rows": [
                {
                    "kind": s.value,
                    "label": s.label,
                    "text": status_text(procedure, s, own),
                    "own": s.value in own,
                }
                for s in kinds
            ],
            "notice": {
                "kind": REJECTION_NOTICE_KEY,
                "text": rejection_notice(procedure, own),
                "own": REJECTION_NOTICE_KEY in own,
            },
        },
    )


@login_required
def arrival_mail_settings(request: HttpRequest) -> HttpResponse:
    """新着メールの設定: per procedure of the department, none, immediately or daily."""
    user = staff_user(request)
    visible = Procedure.objects.order_by("procedure_id", "-version")
    if not user.sees_all_departments:
        visible = visible.filter(department=user.department)
    procedures: dict[str, str] = {}
    for procedure_id, name in visible.values_list("procedure_id", "name"):
        procedures.setdefault(procedure_id, name)
    mine = ArrivalSubscription.objects.filter(user=user)
    if request.method == "POST":
        for procedure_id in procedures:
            chosen = request.POST.get(f"mail-{procedure_id}", "")
            if chosen in ArrivalMail.values:
                ArrivalSubscription.objects.update_or_create(
                    user=user, procedure_id=procedure_id, defaults={"frequency": chosen}
                )
            else:
                mine.filter(procedure_id=procedure_id).delete()
        messages.success(request, _("新着メールの設定を保存しました"))
        return redirect("applications:arrival_mail")
    current = dict(mine.values_list("procedure_id", "frequency"))
    return render(
        request,
        "applications/arrival_mail.html",
        {
            "rows": [
                {"id": pid, "name": name, "chosen": current.get(pid, "")}
                for pid, name in procedures.items()
            ],
            "choices": [("", _("送らない")), *ArrivalMail.choices],
            "has_email": bool(user.email),
        },
    )
