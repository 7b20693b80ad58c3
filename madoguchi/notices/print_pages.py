"""What a printed application shows (the 決裁 print of one, a day's worth in one PDF): built
here for the screens (application_views.py) and the worker's day prints (print_runs.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.applications.models import Application, Decision, Evidence
from madoguchi.applications.timeline import timeline
from madoguchi.lib.wareki import to_wareki, to_wareki_time
from madoguchi.notices.models import DocumentSettings
from madoguchi.procedures.fields import field_type
from madoguchi.procedures.schema import display_rows, field_at, key_labels
from madoguchi.vocabulary import StepState


def wareki_time(moment: dt.datetime | None) -> str:
    return to_wareki_time(timezone.localtime(moment)) if moment else "—"


def approvals(application: Application) -> dict[str, Any]:
    """電子決裁 on paper: the latest 決裁 of the application — its 起案 and each step with
    who decided, when (和暦) and how (電子決裁済, 代決, 後閲, 差戻し) — for the 回議欄, and
    its 伺い文 and 審査結果. None when the application was decided without a route."""
    decision = (
        application.decisions.select_related("drafter")
        .prefetch_related("steps__approver", "steps__acted_by")
        .first()
    )
    if decision is None:
        return {"decision": None}
    marks = {
        StepState.APPROVED: _("電子決裁済"),
        StepState.APPROVED_BY_DEPUTY: _("代決"),
        StepState.POST_REVIEW: _("代決・後閲済"),
        StepState.RETURNED: _("差戻し"),
        StepState.WAITING: _("承認待ち"),
    }
    cells = [
        {
            "title": _("起案"),
            "name": str(decision.drafter),
            "at": wareki_time(decision.drafted_at),
            "mark": _("起案"),
        }
    ]
    for step in decision.steps.all():
        acted = step.acted_by
        cells.append(
            {
                "title": step.title,
                "name": str(acted or step.approver),
                "at": wareki_time(step.acted_at) if step.acted_at else "",
                "mark": marks[StepState(step.state)],
            }
        )
    return {"decision": decision, "approvals": cells}


def printed_fields(
    fields: list[dict[str, Any]], form: dict[str, str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The form as paper reads it: dates in 和暦, and a repeating group's entries only where
    something was written (a group that does not apply is left out)."""
    shown = {}
    for key, value in form.items():
        field = field_at(fields, key)
        shown[key] = field_type(field["type"]).display(value) if field and value else value
    rows = []
    for row in display_rows(fields, shown, errors):
        if row.get("group"):
            entries = [e for e in row["entries"] if any(c["value"] for c in e["cells"])]
            if not entries and not row["errors"]:
                continue
            row = row | {"entries": entries}
        rows.append(row)
    return rows


def history(application: Application, decision: Decision | None) -> dict[str, Any]:
    """The 経過 in brief (internal memos when the drafter chose to print them) and the 補正
    exchange: each answer with the items it changed."""
    with_memos = decision is not None and decision.include_memos
    entries = [
        {
            "at": wareki_time(e.at),
            "label": e.label,
            "actor": e.actor,
            "change": e.change,
            "reason": e.reason,
            "memo": e.memo if with_memos else "",
        }
        for e in timeline(application).entries
    ]
    procedure = application.procedure
    labels = key_labels(procedure.fields, application.form)
    replies = [
        {
            "at": wareki_time(reply.received_at),
            "changes": [
                (labels.get(k, k), before or "—", after or "—")
                for k, before, after in reply.changes
            ],
        }
        for reply in application.correction_replies.all()
    ]
    return {"history": entries, "replies": replies}


def print_page(application: Application, evidence: Evidence | None) -> dict[str, Any]:
    """What the print view of one application shows (notices/_application.html)."""
    procedure = application.procedure
    signed_off = approvals(application)
    return (
        signed_off
        | history(application, signed_off["decision"])
        | {
            "application": application,
            "procedure": procedure,
            "fields": printed_fields(procedure.fields, application.form, application.form_errors),
            "attachments": application.attachments,
            "evidence": evidence,
            "arrived": wareki_time(application.submitted_at),
            "arrived_day": to_wareki(timezone.localdate(application.submitted_at)),
            "paper_signed": wareki_time(application.paper_signed_at),
            "received": wareki_time(application.received_at),
            "due": to_wareki(application.due_date),
            "verified": wareki_time(evidence.verified_at if evidence else None),
            "crl_date": wareki_time(evidence.crl_this_update if evidence else None),
        }
    )


def printed_by(user: User) -> dict[str, Any]:
    document = DocumentSettings.current()
    return {
        "printed_at": wareki_time(timezone.now()),
        "printed_by": str(user),
        # The 回議欄 left to right, and the name, as the municipality set them on screen.
        "municipality": document.municipality_name,
        "kairan": document.kairan_roles,
    }
