"""方式3: one generic pull API for every core system (not one per procedure).

A core system lists what waits for it, gets each record in its own item layout, and
acknowledges it with its own key. Its token reads and acknowledges for that core system only:
another core system's records, and every staff route, answer 404 or 401.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from madoguchi.accounts.models import ApiToken
from madoguchi.lib.codes import is_digits
from madoguchi.web import api_error

from .actions import acknowledge, record_fetched
from .constants import DeliveryState, HandoffMethod
from .deliveries import hold_back
from .models import Delivery
from .plugins import core_system
from .plugins.base import RecordSource
from .records import HeldBack, RecordBuilder

PAGE_SIZE = 100
Handler = Callable[..., JsonResponse]


def core_system_token(view: Handler) -> Handler:
    """Bearer token of the core system named in the path."""

    @wraps(view)
    def wrapper(request: HttpRequest, key: str, *args: Any, **kwargs: Any) -> JsonResponse:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return api_error(401, "unauthenticated", "基幹システム用トークンが必要です")
        token = ApiToken.from_request(request)
        if token is None or not token.core_system:
            return api_error(401, "unauthenticated", "基幹システム用トークンが無効です")
        if token.core_system != key:
            return api_error(404, "not_found", "この基幹システムの連携はありません")
        return view(request, key, *args, **kwargs)

    return wrapper


def _open(key: str) -> Any:
    return Delivery.objects.filter(core_system=key, method=HandoffMethod.PULL_API)


@csrf_exempt
@require_GET
@core_system_token
def record_list(request: HttpRequest, key: str) -> JsonResponse:
    """Records for this core system in one state (default 待ち), oldest first, by cursor."""
    state = request.GET.get("state", DeliveryState.PENDING)
    if state not in DeliveryState.values:
        return api_error(400, "invalid_state", "state は pending, sent, acknowledged, failed です")
    cursor = request.GET.get("after", "0")
    if not is_digits(cursor) or int(cursor) > 2**63 - 1:
        return api_error(400, "invalid_cursor", "after が不正です")
    after = int(cursor)
    rows = list(
        _open(key)
        .filter(state=state, pk__gt=after)
        .select_related("application__procedure")
        .order_by("pk")[: PAGE_SIZE + 1]
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return JsonResponse(
        {
            "results": [
                {
                    "receipt_number": d.application.receipt_number,
                    "procedure_id": d.application.procedure.procedure_id,
                    "procedure_version": d.application.procedure.version,
                    "state": d.state,
                    "attempts": d.attempts,
                    "url": reverse(
                        "api:core_system_record", args=[key, d.application.receipt_number]
                    ),
                }
                for d in rows
            ],
            "next_after": rows[-1].pk if more else None,
        }
    )


def _delivery(key: str, receipt_number: str) -> Delivery | None:
    return (
        _open(key)
        .select_related("application__procedure", "application__resident")
        .filter(application__receipt_number=receipt_number)
        .first()
    )


@csrf_exempt
@require_GET
@core_system_token
def record_detail(request: HttpRequest, key: str, receipt_number: str) -> JsonResponse:
    """One record in the core system's item layout; the first fetch makes it 送付済."""
    delivery = _delivery(key, receipt_number)
    if delivery is None:
        return api_error(404, "not_found", "この基幹システムの連携はありません")
    application = delivery.application
    plugin = core_system(key)
    # The core system is the reader the 個人番号 is collected for: given in clear.
    form = application.form_with_my_numbers()
    held = RecordBuilder(plugin, application.procedure).values(RecordSource.of(application, form))
    if isinstance(held, HeldBack):
        # Carried exactly or not at all: held for a clerk, as a batch file would hold it.
        hold_back(delivery.pk, held.column, held.reason)
        return api_error(409, "held_back", held.message)
    items = plugin.items(application, form)
    delivery = record_fetched(
        delivery.pk, [i.source.removeprefix("form.") for i in items if i.is_my_number and i.value]
    )
    return JsonResponse(
        {
            "receipt_number": receipt_number,
            "core_system": key,
            "procedure_id": application.procedure.procedure_id,
            "procedure_version": application.procedure.version,
            "state": delivery.state,
            "attempts": delivery.attempts,
            "items": [
                {"number": i.number, "header": i.header, "source": i.source, "value": i.value}
                for i in items
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
@require_POST
@core_system_token
def record_acknowledgement(request: HttpRequest, key: str, receipt_number: str) -> JsonResponse:
    """{"result": "ok"|"failed", "core_system_key": "…", "error": "…"}."""
    delivery = _delivery(key, receipt_number)
    if delivery is None:
        return api_error(404, "not_found", "この基幹システムの連携はありません")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("result") not in ("ok", "failed"):
        return api_error(400, "invalid_body", "result は ok か failed です")
    if body["result"] == "failed" and not str(body.get("error", "")).strip():
        return api_error(400, "invalid_body", "failed のときは error に理由を書いてください")
    if delivery.state == DeliveryState.PENDING:
        return api_error(409, "not_sent", "取得していない申請は確認できません")
    try:
        delivery = acknowledge(
            delivery.pk,
            ok=body["result"] == "ok",
            external_key=str(body.get("core_system_key", "")),
            error=str(body.get("error", "")),
            via="pull_api",
        )
    except ValidationError as exc:
        return api_error(409, "acknowledgement_refused", " ".join(exc.messages))
    return JsonResponse(
        {
            "receipt_number": receipt_number,
            "state": delivery.state,
            "core_system_key": delivery.external_key,
        }
    )
