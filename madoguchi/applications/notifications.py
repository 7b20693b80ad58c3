"""お知らせ: what asks for this member of staff's attention, counted for the header and
listed on one page — 決裁 waiting for them (and 後閲), @mentions since they last opened the
application, 補正回答 not yet read, new applications of their procedures, and those due
tomorrow. Each a small query over indexed columns; the counts stop at CAP."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.vocabulary import DecisionState, StepState

from .models import (
    Application,
    ApplicationRead,
    CorrectionReply,
    Decision,
    DecisionStep,
    InternalComment,
)
from .queries import department_procedure_ids

CAP = 99


def decisions_waiting_for(user: User) -> QuerySet[Decision]:
    """The 決裁 whose first waiting step is this member of staff's (or theirs to 代決), not
    their own drafts; oldest first."""
    first_waiting = (
        DecisionStep.objects.filter(decision=OuterRef("decision_id"), state=StepState.WAITING)
        .order_by("position")
        .values("position")[:1]
    )
    my_turn = DecisionStep.objects.filter(
        Q(approver=user) | Q(deputy=user),
        decision=OuterRef("pk"),
        state=StepState.WAITING,
        position=Subquery(first_waiting),
    )
    return (
        Decision.objects.filter(state=DecisionState.IN_PROGRESS)
        .filter(Exists(my_turn))
        .exclude(drafter=user)
        .select_related("application__procedure", "drafter")
        .order_by("drafted_at")
    )


def _queries(user: User) -> dict[str, QuerySet[Any]]:
    """Each group of お知らせ as a query, newest or most urgent first."""
    read = ApplicationRead.objects.filter(user=user, application=OuterRef("pk"))
    open_mine = Application.objects.visible_to(user).open_only()
    # The replies not read since they came (few), then their applications: not a probe of
    # the replies for every open application of the department.
    unread_replies = CorrectionReply.objects.exclude(
        Exists(
            ApplicationRead.objects.filter(
                user=user,
                application=OuterRef("application_id"),
                last_read_at__gte=OuterRef("received_at"),
            )
        )
    ).values("application_id")
    unread_mention = ApplicationRead.objects.filter(
        user=user, application=OuterRef("application_id"), last_read_at__gte=OuterRef("created_at")
    )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return {
        "decisions": decisions_waiting_for(user),
        "mentions": InternalComment.objects.filter(mentions=user)
        .exclude(Exists(unread_mention))
        .select_related("application", "author")
        .order_by("-created_at"),
        "answered": open_mine.filter(pk__in=unread_replies)
        .select_related("procedure")
        .order_by("-status_changed_at"),
        "new": open_mine.exclude(Exists(read)).select_related("procedure").order_by("-received_at"),
        "due_tomorrow": open_mine.filter(due_date=tomorrow)
        .select_related("procedure")
        .order_by("received_at"),
    }


def notices_for(user: User, limit: int = 50) -> dict[str, list[Any]]:
    """The お知らせ page: each group, up to ``limit`` each."""
    return {name: list(query[:limit]) for name, query in _queries(user).items()}


def count_for(user: User) -> int:
    """How many お知らせ, each group counted up to CAP: one statement of five capped counts.
    Building and compiling the five querysets took three quarters of the count's time on
    every page (bench/README.md, 2026-12-03), so the statement is kept for all that enters
    it — the user, whom they may see (their department's procedures, asked each time) and
    the day — and only run again."""
    scope = (
        user.is_active,
        user.sees_all_departments,
        user.department_id,
        tuple(department_procedure_ids(user.department_id)) if user.department_id else (),
    )
    sql, params = _count_statement(user, scope, timezone.localdate(), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return sum(int(n) for n in row)


@functools.lru_cache(maxsize=512)
def _count_statement(
    user: User, scope: tuple[Any, ...], day: dt.date, vendor: str
) -> tuple[str, tuple[Any, ...]]:
    """``SELECT (SELECT COUNT(*) FROM (… LIMIT CAP)), …`` over the groups' querysets as
    _queries builds them for ``user`` (``scope``, ``day`` and ``vendor`` key the cache)."""
    parts: list[str] = []
    params: list[Any] = []
    for number, query in enumerate(_queries(user).values()):
        # Unordered: a count needs no order, and an order would walk the inbox index.
        sql, values = query.order_by().values_list("pk")[:CAP].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) notice_{number})")  # noqa: S608 (Django's SQL; values stay parameters)
        params.extend(values)
    return "SELECT " + ", ".join(parts), tuple(params)


def header_count(request: HttpRequest) -> dict[str, Any]:
    """The header's お知らせ count, for a signed-in member of staff (context processor)."""
    if request.headers.get("HX-Request"):
        return {}  # a part of a page (the inbox's results) has no header
    try:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not isinstance(user, User):
            return {}
        return {"notice_count": count_for(user)}
    except DatabaseError:
        # The page that says the database is away (503) is drawn without the count.
        return {}
