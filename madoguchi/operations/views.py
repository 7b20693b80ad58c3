"""/healthz and /readyz for the monitor and the proxy, and the administrator's 稼働状況."""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from madoguchi.accounts.access import system_administrator
from madoguchi.procedures.models import Procedure
from madoguchi.relay.passes import relay_spool

from .heartbeat import database_problem, healthy, report


def _database_answers() -> str | None:
    problem = database_problem()
    return f"データベースに接続できません: {problem}" if problem is not None else None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers and reaches its database (liveness)."""
    problem = _database_answers()
    if problem:
        return JsonResponse({"status": "error", "problem": problem}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for staff: the database answers, every migration is applied and the catalog is
    loaded (readiness: the proxy sends no one here before)."""
    problem = _database_answers()
    if problem is None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            problem = "データベースの構造が最新ではありません (madoguchi migrate)"
        elif not Procedure.objects.exists():
            problem = "手続カタログが読み込まれていません (madoguchi procedures load)"
    if problem:
        return JsonResponse({"status": "error", "problem": problem}, status=503)
    return JsonResponse({"status": "ok"})


@login_required
def status(request: HttpRequest) -> HttpResponse:
    system_administrator(request)
    parts = report(relay_spool())
    return render(request, "operations/status.html", {"parts": parts, "healthy": healthy(parts)})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: while the database is away (a restart, a failover) a Japanese 503 page
    that asks for a moment, not a traceback; any other error the plain 500 page."""
    failure = sys.exc_info()[1]
    if isinstance(failure, (OperationalError, InterfaceError)):
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "10"
        return response
    return render(request, "500.html", status=500)
