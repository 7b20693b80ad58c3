"""The floor of a staff page: the same request through the same Django stack (middleware,
session, login and second-factor checks, security headers), answered by a view that runs the
bare query of the rows the page shows over a DB-API cursor and renders them with a trivial
template (one loop, no tags, no filters).

What madoguchi's figure adds over this is its own: the ORM, the filter form, the template's
tags and filters, the audit event a detail view writes. The framework's cost per request is
the price of the framework the project chose, so it is in both figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.urls import path

import madoguchi.urls

Row = Sequence[Any]


TABLE = Template(
    "<p>{{ heading }}</p><table>{% for row in rows %}<tr>{% for v in row %}<td>{{ v }}</td>"
    "{% endfor %}</tr>{% endfor %}</table>"
)


def _cells(rows: Sequence[Row]) -> str:
    return TABLE.render(Context({"heading": "", "rows": rows}))


def inbox(cursor: Any, p: str, procedure_ids: list[int], name_range: tuple[str, str] | None) -> str:
    """The first 50 rows of a department's inbox, newest first (optionally the rows whose
    name key lies in ``name_range``, the index range of a prefix), and the capped count."""
    marks = ", ".join([p] * len(procedure_ids))
    where = f"a.procedure_id IN ({marks})"
    params: list[Any] = list(procedure_ids)
    if name_range:
        where += f" AND a.name_key >= {p} AND a.name_key < {p}"
        params += list(name_range)
    cursor.execute(
        "SELECT a.receipt_number, r.name, a.applicant_name, a.received_at, a.due_date,"  # noqa: S608
        " u.display_name, a.identification, a.status"
        " FROM applications_application a JOIN procedures_procedure r ON r.id = a.procedure_id"
        f" LEFT JOIN accounts_user u ON u.id = a.assignee_id WHERE {where}"
        " ORDER BY a.received_at DESC, a.id DESC LIMIT 51",
        params,
    )
    rows = cursor.fetchall()[:50]
    cursor.execute(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM applications_application a WHERE {where}"  # noqa: S608
        " LIMIT 1001) t",
        params,
    )
    (count,) = cursor.fetchone()
    return f"<p>{count} 件</p>{_cells(rows)}"


def detail(cursor: Any, p: str, receipt_number: str) -> str:
    """One application: its row and form labelled by its procedure, the evidence digest,
    and its timeline (the events that changed it; reads as a count)."""
    cursor.execute(
        "SELECT a.id, a.receipt_number, a.status, a.form, r.definition"  # noqa: S608
        " FROM applications_application a JOIN procedures_procedure r ON r.id = a.procedure_id"
        f" WHERE a.receipt_number = {p}",
        [receipt_number],
    )
    pk, number, status, form, definition = cursor.fetchone()
    form = json.loads(form) if isinstance(form, str) else form
    definition = json.loads(definition) if isinstance(definition, str) else definition
    fields = [(f["label"], form.get(f["id"], "")) for f in definition["fields"]]
    cursor.execute(
        "SELECT package_sha256, signer_serial, trust_anchor_subject"  # noqa: S608
        f" FROM applications_evidence WHERE application_id = {p}",
        [pk],
    )
    evidence = cursor.fetchone()
    cursor.execute(
        "SELECT at, action, actor_name FROM audit_auditevent"  # noqa: S608
        f" WHERE target_type = 'application' AND target_id = {p} AND action <> 200 ORDER BY seq",
        [number],
    )
    events = cursor.fetchall()
    cursor.execute(
        "SELECT COUNT(*) FROM audit_auditevent"  # noqa: S608
        f" WHERE target_type = 'application' AND target_id = {p} AND action = 200",
        [number],
    )
    (views,) = cursor.fetchone()
    return (
        f"<h1>{number} {status}</h1>{_cells(fields)}<p>{evidence[0]}</p>{_cells(events)}"
        f"<p>{views}</p>"
    )


def _placeholder() -> str:
    return "?" if connection.vendor == "sqlite" else "%s"


@login_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.GET["procedures"].split(",")]
    low, high = request.GET.get("low"), request.GET.get("high")
    with connection.cursor() as cursor:
        body = inbox(cursor, _placeholder(), ids, (low, high) if low and high else None)
    return HttpResponse(body)


@login_required
def detail_view(request: HttpRequest, receipt_number: str) -> HttpResponse:
    with connection.cursor() as cursor:
        return HttpResponse(detail(cursor, _placeholder(), receipt_number))


# The system's own addresses and the floors' (ROOT_URLCONF for the pages benchmark only).
urlpatterns = [
    *madoguchi.urls.urlpatterns,
    path("floor/inbox/", inbox_view),
    path("floor/detail/<str:receipt_number>/", detail_view),
]
