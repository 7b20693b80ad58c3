"""A JSON REST API over the same reads and actions as the staff screens (token auth).

Every handler validates, calls the same getter or action as the screen, and renders JSON;
department boundaries, audit records and the workflow are therefore the screens' own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from madoguchi.accounts.models import ApiToken, User
from madoguchi.applications.access import access_application
from madoguchi.applications.actions.filing import file_application
from madoguchi.applications.actions.reads import record_view, reveal_form_my_numbers
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.forms import InboxFilterForm
from madoguchi.applications.models import Application
from madoguchi.applications.queries import InvalidCursor, keyset_page
from madoguchi.applications.sealing import my_number_keys
from madoguchi.procedures.models import Procedure
from madoguchi.residents.actions import reveal_my_number
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import RECEIPT_PREFIX, Channel, Status
from madoguchi.web import api_error

from .openapi import SCHEMA

PAGE_SIZE = 50
Handler = Callable[..., JsonResponse]


def authenticated(view: Handler) -> Handler:
    """Bearer token → the member of staff it belongs to, passed as ``user``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return api_error(401, "unauthenticated", "APIトークンが必要です")
        token = ApiToken.from_request(request)
        if token is None or token.user is None or not token.user.is_active:
            return api_error(401, "unauthenticated", "APIトークンが無効です")
        try:
            return view(request, *args, user=token.user, **kwargs)
        except Http404:
            return api_error(404, "not_found", "申請が見つかりません")
        except PermissionDenied:
            return api_error(403, "forbidden", "この操作の権限がありません")

    return wrapper


def summary(application: Application) -> dict[str, Any]:
    return {
        "receipt_number": application.receipt_number,
        "procedure": {
            "id": application.procedure.procedure_id,
            "version": application.procedure.version,
            "name": application.procedure.name,
        },
        "status": application.status,
        "status_label": application.get_status_display(),
        "identification": application.identification,
        "applicant_name": application.applicant_name,
        "submitted_at": application.submitted_at.isoformat(),
        "received_at": application.received_at.isoformat(),
        "has_form_errors": application.has_form_errors,
        "due_date": application.due_date.isoformat(),
        "assignee": application.assignee.username if application.assignee else None,
        "channel": application.channel,
    }


@csrf_exempt
@require_GET
@authenticated
def application_list(request: HttpRequest, *, user: User) -> JsonResponse:
    """The inbox's reads: the same search, filters and keyset paging as the screen."""
    form = InboxFilterForm(request.GET, user=user)
    if not form.is_valid():
        fields = ", ".join(sorted(form.errors))
        return api_error(400, "invalid_filter", f"条件が不正です: {fields}")
    applications = form.apply(Application.objects.visible_to(user).for_list())
    try:
        page = keyset_page(
            applications,
            form.cleaned_data["sort"] or ("due" if form.cleaned_data["overdue"] else "new"),
            after=request.GET.get("after", ""),
            size=PAGE_SIZE,
        )
    except InvalidCursor:
        return api_error(400, "invalid_cursor", "after が不正です")
    return JsonResponse(
        {
            "count": page.count,
            "count_is_capped": page.count_is_capped,
            "next_after": page.next_cursor,
            "results": [summary(a) for a in page.items],
        }
    )


@csrf_exempt
@require_GET
@authenticated
def application_detail(request: HttpRequest, receipt_number: str, *, user: User) -> JsonResponse:
    application = access_application(user, receipt_number)
    record_view(application, user)
    return JsonResponse(
        {
            **summary(application),
            "form": application.form,
            "form_errors": application.form_errors,
            "attachments": application.attachments,
            "identification_notes": application.identification_notes,
            "atena_number": application.resident.atena_number if application.resident else None,
        }
    )


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@csrf_exempt
@require_POST
@authenticated
def application_transition(
    request: HttpRequest, receipt_number: str, *, user: User
) -> JsonResponse:
    application = access_application(user, receipt_number)
    body = _body(request)
    if body.get("to_status") not in Status.values:
        return api_error(400, "invalid_status", "変更後のステータスが不正です")
    try:
        application = change_status(
            application.pk,
            Status(body["to_status"]),
            actor=user,
            reason=str(body.get("reason", ""))[:2000],
        )
    except ValidationError as exc:
        return api_error(409, "transition_refused", " ".join(exc.messages))
    return JsonResponse(summary(application))


@csrf_exempt
@require_POST
@authenticated
def application_my_number(request: HttpRequest, receipt_number: str, *, user: User) -> JsonResponse:
    """個人番号 of the person concerned: for roles that may read it, audited per read."""
    application = access_application(user, receipt_number)
    if application.resident is None or not user.may_read_my_number:
        raise PermissionDenied
    number = reveal_my_number(
        application.resident, viewer=user, purpose=f"api:application:{receipt_number}"
    )
    return JsonResponse({"receipt_number": receipt_number, "my_number": number})


@csrf_exempt
@require_POST
@authenticated
def application_form_my_numbers(
    request: HttpRequest, receipt_number: str, *, user: User
) -> JsonResponse:
    """The 個人番号 items of the application form, for roles that may read them; audited."""
    application = access_application(user, receipt_number)
    form = reveal_form_my_numbers(
        application, viewer=user, purpose=f"api:application:{receipt_number}"
    )
    keys = my_number_keys(application.procedure.fields, application.form)
    return JsonResponse(
        {"receipt_number": receipt_number, "items": {key: form[key] for key in sorted(keys)}}
    )


@csrf_exempt
@require_POST
@authenticated
def counter_application(request: HttpRequest, *, user: User) -> JsonResponse:
    """An application filed at the counter or from the mail: the screen's action, with the
    same validation; item-level problems as 400 invalid_form with the items named."""
    body = _body(request)
    if not user.may_file_applications:
        raise PermissionDenied
    procedure = Procedure.current([str(body.get("procedure", ""))]).get(
        str(body.get("procedure", ""))
    )
    if procedure is None or procedure.department_id != user.department_id:
        return api_error(404, "not_found", "手続が見つかりません")
    channel = body.get("channel", Channel.COUNTER.value)
    form = body.get("form")
    problems: dict[str, list[str]] = {}
    if channel not in RECEIPT_PREFIX:
        problems["channel"] = ["counter か mail を指定してください"]
    if not isinstance(form, dict) or not all(isinstance(v, str) for v in form.values()):
        problems["form"] = ["項目ID → 文字列の値のオブジェクトで指定してください"]
    resident = Resident.objects.filter(atena_number=str(body.get("atena_number", ""))).first()
    if resident is None:
        problems["atena_number"] = ["住民記録にない宛名番号です"]
    arrived_on = None
    if body.get("arrived_on") is not None:
        try:
            arrived_on = dt.date.fromisoformat(str(body["arrived_on"]))
        except ValueError:
            problems["arrived_on"] = ["YYYY-MM-DD の形で入力してください"]
    if problems or resident is None or not isinstance(form, dict):
        return api_error(400, "invalid_form", "入力内容を確認してください", problems)
    try:
        application = file_application(
            procedure,
            resident,
            {str(k)[:100]: v[:2000] for k, v in form.items()},
            actor=user,
            channel=Channel(channel),
            arrived_on=arrived_on,
        )
    except ValidationError as exc:
        return api_error(400, "invalid_form", "入力内容を確認してください", exc.message_dict)
    return JsonResponse(summary(application), status=201)


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(SCHEMA, json_dumps_params={"ensure_ascii": False, "indent": 2})
