"""The staff API (/api/v1/applications…, /api/v1/counter-applications): each operation
declared once (madoguchi/endpoints.py) with its schemas (schemas.py). A member of staff's
token sees what that member sees on screen: their department, their role."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from madoguchi.accounts.models import ApiToken, User
from madoguchi.applications.access import access_application
from madoguchi.applications.actions.filing import file_application
from madoguchi.applications.actions.reads import record_view, reveal_form_my_numbers
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.forms import InboxFilterForm
from madoguchi.applications.models import Application
from madoguchi.applications.queries import InvalidCursor, keyset_page
from madoguchi.applications.sealing import my_number_keys
from madoguchi.endpoints import ApiError, Invalid, Router, Security
from madoguchi.procedures.models import Procedure
from madoguchi.residents.actions import reveal_my_number
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import Channel, Status, labels_of

from .schemas import (
    CounterApplicationIn,
    Detail,
    FormMyNumbers,
    ListQuery,
    MyNumber,
    Page,
    Summary,
    TransitionIn,
)

PAGE_SIZE = 50


def staff_member(request: HttpRequest, _path: dict[str, Any]) -> User:
    """Bearer token → the active member of staff it belongs to."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        raise ApiError(401, "unauthenticated", _("APIトークンが必要です"))
    token = ApiToken.from_request(request)
    if token is None or token.user is None or not token.user.is_active:
        raise ApiError(401, "unauthenticated", _("APIトークンが無効です"))
    return token.user


router = Router(
    Security("bearer", "職員の API トークン", staff_member), not_found=_("申請が見つかりません")
)


def summary(application: Application, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """One application as the list and the detail give it. ``labels``: the statuses' names,
    looked up once for a page (Django's get_status_display translates every choice for
    each row — a quarter of the list's time)."""
    return {
        "receipt_number": application.receipt_number,
        "procedure": {
            "id": application.procedure.procedure_id,
            "version": application.procedure.version,
            "name": application.procedure.name,
        },
        "status": application.status,
        "status_label": (labels or labels_of(Status)).get(application.status, application.status),
        "identification": application.identification,
        "applicant_name": application.applicant_name,
        "submitted_at": application.submitted_at,
        "received_at": application.received_at,
        "has_form_errors": application.has_form_errors,
        "due_date": application.due_date,
        "assignee": application.assignee.username if application.assignee else None,
        "channel": application.channel,
    }


@router.get(
    "/applications",
    name="applications",
    summary="申請の一覧(所属の範囲、50件ずつ、位置による続き読み)",
    query=ListQuery,
    response=Page,
    answers=(400,),
    invalid=Invalid("invalid_filter", _("条件が不正です")),
)
def application_list(request: HttpRequest, user: User, *, query: ListQuery) -> dict[str, Any]:
    """The inbox's reads: the same search, filters and keyset paging as the screen."""
    form = InboxFilterForm(request.GET, user=user)
    if not form.is_valid():
        fields = ", ".join(sorted(form.errors))
        raise ApiError(400, "invalid_filter", _("条件が不正です: %(f)s") % {"f": fields})
    applications = form.apply(Application.objects.visible_to(user).for_list())
    try:
        page = keyset_page(
            applications,
            query.sort or ("due" if query.overdue else "new"),
            after=query.after or "",
            size=PAGE_SIZE,
        )
    except InvalidCursor:
        raise ApiError(400, "invalid_cursor", _("after が不正です")) from None
    labels = labels_of(Status)
    return {
        "count": page.count,
        "count_is_capped": page.count_is_capped,
        "next_after": page.next_cursor,
        "results": [summary(a, labels) for a in page.items],
    }


@router.get(
    "/applications/{receipt_number}",
    name="application",
    summary="申請の内容(閲覧は監査ログに記録される)",
    response=Detail,
    answers=(404,),
)
def application_detail(request: HttpRequest, user: User, receipt_number: str) -> dict[str, Any]:
    application = access_application(user, receipt_number)
    record_view(application, user)
    return {
        **summary(application),
        "form": application.form,
        "form_errors": application.form_errors,
        "attachments": application.attachments,
        "identification_notes": application.identification_notes,
        "atena_number": application.resident.atena_number if application.resident else None,
    }


@router.post(
    "/applications/{receipt_number}/transition",
    name="transition",
    summary="ステータスの変更(補正依頼・却下・取下げは理由が必須)",
    body=TransitionIn,
    response=Summary,
    answers=(400, 404, 409),
    invalid=Invalid("invalid_status", _("変更後のステータスが不正です")),
)
def application_transition(
    request: HttpRequest, user: User, receipt_number: str, *, body: TransitionIn
) -> dict[str, Any]:
    application = access_application(user, receipt_number)
    try:
        application = change_status(
            application.pk, Status(body.to_status), actor=user, reason=body.reason[:2000]
        )
    except ValidationError as exc:
        raise ApiError(409, "transition_refused", " ".join(exc.messages)) from None
    return summary(application)


@router.post(
    "/applications/{receipt_number}/my-number",
    name="my_number",
    summary="本人の個人番号(審査担当のみ。1件ごとに監査ログに記録される)",
    response=MyNumber,
    answers=(403, 404),
)
def application_my_number(request: HttpRequest, user: User, receipt_number: str) -> dict[str, Any]:
    """個人番号 of the person concerned: for roles that may read it, audited per read."""
    application = access_application(user, receipt_number)
    if application.resident is None or not user.may_read_my_number:
        raise PermissionDenied
    number = reveal_my_number(
        application.resident, viewer=user, purpose=f"api:application:{receipt_number}"
    )
    return {"receipt_number": receipt_number, "my_number": number}


@router.post(
    "/applications/{receipt_number}/form-my-numbers",
    name="form_my_numbers",
    summary="申請書に書かれた個人番号(審査担当のみ。1件ごとに監査ログに記録される)",
    description="カタログの型 my_number の項目を項目IDごとに平文で返す。"
    "申請内容(GET applications/{receipt_number} の form)では伏せ字",
    response=FormMyNumbers,
    answers=(403, 404),
)
def application_form_my_numbers(
    request: HttpRequest, user: User, receipt_number: str
) -> dict[str, Any]:
    application = access_application(user, receipt_number)
    form = reveal_form_my_numbers(
        application, viewer=user, purpose=f"api:application:{receipt_number}"
    )
    keys = my_number_keys(application.procedure.fields, application.form)
    return {"receipt_number": receipt_number, "items": {key: form[key] for key in sorted(keys)}}


@router.post(
    "/counter-applications",
    name="counter_applications",
    summary="窓口・郵送の申請の受付(書かない窓口・キオスク・窓口の既存システムから)",
    description="職員のトークンで、所属の手続だけ。カタログの申請書と同じ検査を"
    "行い、不備のある項目は 400 invalid_form の fields に項目IDごとの理由を返す。"
    "所属外・不明の手続は 404。受付番号は madoguchi が付ける(窓口 C…、郵送 M…)",
    body=CounterApplicationIn,
    response=Summary,
    status=201,
    answers=(400, 403, 404),
    invalid=Invalid("invalid_form", _("入力内容を確認してください"), by_field=True),
)
def counter_application(
    request: HttpRequest, user: User, *, body: CounterApplicationIn
) -> dict[str, Any]:
    """An application filed at the counter or from the mail: the screen's action, with the
    same validation; item-level problems as 400 invalid_form with the items named."""
    if not user.may_file_applications:
        raise PermissionDenied
    procedure = Procedure.current([body.procedure]).get(body.procedure)
    if procedure is None or procedure.department_id != user.department_id:
        raise ApiError(404, "not_found", _("手続が見つかりません"))
    resident = Resident.objects.filter(atena_number=body.atena_number).first()
    if resident is None:
        raise ApiError(
            400,
            "invalid_form",
            _("入力内容を確認してください"),
            {"atena_number": [_("住民記録にない宛名番号です")]},
        )
    try:
        application = file_application(
            procedure,
            resident,
            {k[:100]: v[:2000] for k, v in body.form.items()},
            actor=user,
            channel=Channel(body.channel),
            arrived_on=body.arrived_on,
        )
    except ValidationError as exc:
        raise ApiError(
            400, "invalid_form", _("入力内容を確認してください"), exc.message_dict
        ) from None
    return summary(application)
