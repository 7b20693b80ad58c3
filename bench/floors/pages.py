"""The floor of a staff page, outside Django's stack: a WSGI callable doing only the work a
page cannot skip — one session lookup (the cookie's row in django_session), the page's rows
by the best plan over a DB-API connection of its own, and those rows put into plain HTML —
called in process with a WSGI environ, as Django's test client calls madoguchi.

What madoguchi's figure adds over this is everything else: Django's request handling and
middleware (security headers, CSRF, sessions, the second-factor and idle checks), the ORM,
the filter form, the template's tags and filters, the audit event a detail view writes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from html import escape
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Row = Sequence[Any]


def _cells(rows: Sequence[Row]) -> str:
    """The rows as a table: each value escaped, nothing else."""
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table>{body}</table>"


def inbox(cursor: Any, p: str, procedure_ids: list[int], name_range: tuple[str, str] | None) -> str:
    """The first 50 rows of a department's inbox, newest first (optionally the rows whose
    name key lies in ``name_range``, the index range of a prefix), and the capped count.
    The best plan: SQLite walks the inbox index in order (its planner would rather sort the
    department's rows); PostgreSQL chooses it by itself."""
    marks = ", ".join([p] * len(procedure_ids))
    walk = " INDEXED BY application_inbox" if p == "?" and not name_range else ""
    where = f"a.procedure_id IN ({marks})"
    params: list[Any] = list(procedure_ids)
    if name_range:
        where += f" AND a.name_key >= {p} AND a.name_key < {p}"
        params += list(name_range)
    cursor.execute(
        "SELECT a.receipt_number, r.name, a.applicant_name, a.received_at, a.due_date,"  # noqa: S608
        " u.display_name, a.identification, a.status"
        f" FROM applications_application a{walk}"
        " JOIN procedures_procedure r ON r.id = a.procedure_id"
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


class BareSite:
    """The floor as a WSGI application on a DB-API connection of its own: /inbox?procedures=
    1,2[&low=&high=] and /detail/<受付番号>."""

    def __init__(self, vendor: str, connect: Callable[[], Any]) -> None:
        self.db = connect()
        self.sqlite = vendor == "sqlite"
        self.p = "?" if self.sqlite else "%s"

    def now(self) -> Any:
        """Now, as the session table's column compares (SQLite keeps UTC as text)."""
        now = dt.datetime.now(dt.UTC)
        return now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else now

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        cursor = self.db.cursor()
        cursor.execute(
            f"SELECT session_data FROM django_session WHERE session_key = {self.p}"  # noqa: S608
            f" AND expire_date > {self.p}",
            [cookie["sessionid"].value if "sessionid" in cookie else "", self.now()],
        )
        if cursor.fetchone() is None:
            start_response("403 Forbidden", [])
            return [b""]
        path = environ["PATH_INFO"]
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        if path.startswith("/detail/"):
            body = detail(cursor, self.p, path.removeprefix("/detail/"))
        else:
            ids = [int(pk) for pk in query["procedures"].split(",")]
            low, high = query.get("low"), query.get("high")
            body = inbox(cursor, self.p, ids, (low, high) if low and high else None)
        self.db.rollback()  # a read: nothing to keep, and no snapshot held between requests
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]


def call(site: BareSite, path: str, params: dict[str, str], session_key: str) -> bytes:
    """One request to the floor, as a WSGI server would make it."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(params),
        "HTTP_COOKIE": f"sessionid={session_key}",
        "wsgi.input": io.BytesIO(),
    }
    status: list[str] = []
    body = b"".join(site(environ, lambda s, _headers: status.append(s)))
    assert status == ["200 OK"], status
    return body
