"""方式3: one generic pull API for every core system (not one per procedure).

A core system lists what waits for it, gets each record in its own item layout, and
acknowledges it with its own key. Its token reads and acknowledges for that core system only:
another core system's records, and every staff route, answer 404 or 401. Each operation is
declared once (madoguchi/endpoints.py); the api app serves it under /api/v1/.
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from pydantic import BaseModel, Field

from madoguchi.accounts.models import ApiToken
from madoguchi.applications.models import Evidence
from madoguchi.endpoints import ApiError, Invalid, Router, Security

from .actions import acknowledge, package_fetched, record_fetched
from .constants import DeliveryState, HandoffMethod
from .deliveries import hold_back
from .models import Delivery
from .oauth import OPERATIONS, access_of
from .plugins import core_system
from .records import HeldBack, RecordSource

PAGE_SIZE = 100
# The static tokens' prefix (accounts.ApiToken.issue_for_core_system).
STATIC_PREFIX = "mdgc_"
KEY = (
    "基幹システム(カタログの core_system、例: kaigo_hoken)。トークンの基幹システムと同じであること"
)


def core_system_of(request: HttpRequest, path: dict[str, Any]) -> str:
    """The core system named in the path, for a bearer token that may act for it: an OAuth2
    access token whose scopes name its 業務ID and this operation (linking/oauth.py), or, as a
    transitional option, its static token."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "unauthenticated", _("基幹システム用トークンが必要です"))
    if header[7:].startswith(STATIC_PREFIX):
        token = ApiToken.from_request(request) if settings.STATIC_CORE_TOKENS else None
        if token is None or not token.core_system:
            raise ApiError(401, "unauthenticated", _("基幹システム用トークンが無効です"))
        if token.core_system != path["key"]:
            raise ApiError(404, "not_found", _("この基幹システムの連携はありません"))
        return token.core_system
    access = access_of(header[7:].strip())
    if access is None:
        raise ApiError(401, "unauthenticated", _("トークンが無効か、有効期限が切れています"))
    wanted = f"{core_system(path['key']).config.business_id}:records:"
    if wanted + OPERATIONS.get(request.method or "GET", "read") not in access.scopes:
        raise ApiError(403, "forbidden", _("このトークンはこの業務・操作のものではありません"))
    return str(path["key"])


DESCRIPTION = (
    "OAuth2 のアクセストークン(client credentials、client_secret_jwt または "
    "client_secret_basic で /oauth/token から取得。スコープ ${業務ID}:records:read / "
    "${業務ID}:records:acknowledge)。移行期間は madoguchi linking token の静的トークンも可"
)
router = Router(
    Security(
        "coreSystemOAuth2",
        DESCRIPTION,
        core_system_of,
        # 共通機能標準仕様書 §2.2.5: OAuth2 client credentials. The scopes carry the core
        # system's 業務ID in front ("0101:records:read"), which no static list can name.
        openapi_scheme={
            "type": "oauth2",
            "description": DESCRIPTION,
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth/token",
                    "scopes": {
                        "{業務ID}:records:read": "連携データの一覧と取得",
                        "{業務ID}:records:acknowledge": "取込済・取込失敗の報告",
                    },
                }
            },
        },
        scopes=lambda method: [f"{{業務ID}}:records:{OPERATIONS.get(method, 'read')}"],
        alternatives={
            "coreSystemStaticToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "移行期間の静的トークン (madoguchi linking token、"
                "MADOGUCHI_STATIC_CORE_TOKENS で無効にできる)",
            }
        },
    ),
    not_found=_("この基幹システムの連携はありません"),
)


class RecordQuery(BaseModel):
    state: DeliveryState = DeliveryState.PENDING
    after: int = Field(0, ge=0, le=2**63 - 1, description="前のページの next_after")


class DeliverySummary(BaseModel):
    receipt_number: str
    procedure_id: str
    procedure_version: str
    state: DeliveryState
    attempts: int
    url: str


class RecordPage(BaseModel):
    results: list[DeliverySummary]
    next_after: int | None


class RecordItem(BaseModel):
    number: int
    header: str
    source: str
    value: str = Field(description="日付は ISO 8601")


class Record(BaseModel):
    receipt_number: str
    core_system: str
    procedure_id: str
    procedure_version: str
    state: DeliveryState
    attempts: int
    items: list[RecordItem]


class AcknowledgementIn(BaseModel):
    result: Literal["ok", "failed"]
    core_system_key: str = Field("", max_length=100)
    error: str = Field("", description="failed のときは必須")


class Acknowledgement(BaseModel):
    receipt_number: str
    state: DeliveryState
    core_system_key: str


def _open(key: str) -> Any:
    return Delivery.objects.filter(core_system=key, method=HandoffMethod.PULL_API)


def _delivery(key: str, receipt_number: str) -> Delivery:
    delivery = (
        _open(key)
        .select_related("application__procedure", "application__resident")
        .filter(application__receipt_number=receipt_number)
        .first()
    )
    if delivery is None:
        raise ApiError(404, "not_found", _("この基幹システムの連携はありません"))
    return delivery


@router.get(
    "/core-systems/{key}/records",
    name="core_system_records",
    summary="方式3: この基幹システムへの連携の一覧(古い順、100件ずつ)",
    query=RecordQuery,
    response=RecordPage,
    answers=(400, 403, 404),
    parameters={"key": KEY},
    invalid=Invalid(
        "invalid_query",
        _("条件が不正です"),
        items={
            "state": ("invalid_state", _("state は pending, sent, acknowledged, failed です")),
            "after": ("invalid_cursor", _("after が不正です")),
        },
    ),
)
def record_list(
    request: HttpRequest, _caller: str, key: str, *, query: RecordQuery
) -> dict[str, Any]:
    """Records for this core system in one state (default 待ち), oldest first, by cursor."""
    rows = list(
        _open(key)
        .filter(state=query.state, pk__gt=query.after)
        .select_related("application__procedure")
        .order_by("pk")[: PAGE_SIZE + 1]
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {
        "results": [
            {
                "receipt_number": d.application.receipt_number,
                "procedure_id": d.application.procedure.procedure_id,
                "procedure_version": d.application.procedure.version,
                "state": d.state,
                "attempts": d.attempts,
                "url": reverse("api:core_system_record", args=[key, d.application.receipt_number]),
            }
            for d in rows
        ],
        "next_after": rows[-1].pk if more else None,
    }


@router.get(
    "/core-systems/{key}/records/{receipt_number}",
    name="core_system_record",
    summary="方式3: 1件を基幹システムの項目順で取得する(最初の取得で送付済になる)",
    description="改行・制御文字・文字の向きを変える記号を含む値や、= + - @ で"
    "始まる値がある申請は渡さず 409 held_back を返す(職員が確認して対応する)",
    response=Record,
    answers=(403, 404, 409),
    parameters={"key": KEY},
)
def record_detail(
    request: HttpRequest, _caller: str, key: str, receipt_number: str
) -> dict[str, Any]:
    """One record in the core system's item layout; the first fetch makes it 送付済."""
    delivery = _delivery(key, receipt_number)
    application = delivery.application
    plugin = core_system(key)
    # The core system is the reader the 個人番号 is collected for: given in clear.
    form = application.form_with_my_numbers()
    held = plugin.records(application.procedure).values(RecordSource.of(application, form))
    if isinstance(held, HeldBack):
        # Carried exactly or not at all: held for a clerk, as a batch file would hold it.
        hold_back(delivery.pk, held.column, held.reason)
        raise ApiError(409, "held_back", held.message)
    items = plugin.items(application, form)
    delivery = record_fetched(
        delivery.pk, [i.source.removeprefix("form.") for i in items if i.sealed and i.value]
    )
    return {
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
    }


@router.get(
    "/core-systems/{key}/records/{receipt_number}/package",
    name="core_system_package",
    summary="方式3: 申請ZIP(ぴったりサービスから受け取ったままの署名付き申請書と添付ファイル)",
    description="受け取ったままのバイト列。ヘッダー X-Content-SHA256 はその SHA-256。"
    "窓口・郵送の申請には申請ZIPがなく 404 no_package",
    response=None,
    media_type="application/zip",
    answers=(403, 404),
    parameters={"key": KEY},
)
def record_package(
    request: HttpRequest, _caller: str, key: str, receipt_number: str
) -> HttpResponse:
    """The 申請ZIP as received: the signed form and its attachments, byte for byte."""
    delivery = _delivery(key, receipt_number)
    evidence = Evidence.objects.filter(application=delivery.application).first()
    if evidence is None:
        raise ApiError(404, "no_package", _("窓口・郵送の申請には申請ZIPがありません"))
    data = evidence.package_bytes
    package_fetched(delivery, evidence.package_sha256)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{receipt_number}.zip"'
    response["X-Content-SHA256"] = evidence.package_sha256
    return response


@router.post(
    "/core-systems/{key}/records/{receipt_number}/acknowledgement",
    name="core_system_acknowledgement",
    summary="方式3: 取込結果を返す(ok で取込済・基幹連携済、failed で失敗)",
    body=AcknowledgementIn,
    response=Acknowledgement,
    answers=(400, 403, 404, 409),
    parameters={"key": KEY},
    invalid=Invalid("invalid_body", _("result は ok か failed です")),
)
def record_acknowledgement(
    request: HttpRequest, _caller: str, key: str, receipt_number: str, *, body: AcknowledgementIn
) -> dict[str, Any]:
    """{"result": "ok"|"failed", "core_system_key": "…", "error": "…"}."""
    delivery = _delivery(key, receipt_number)
    if body.result == "failed" and not body.error.strip():
        raise ApiError(400, "invalid_body", _("failed のときは error に理由を書いてください"))
    if delivery.state == DeliveryState.PENDING:
        raise ApiError(409, "not_sent", _("取得していない申請は確認できません"))
    try:
        delivery = acknowledge(
            delivery.pk,
            ok=body.result == "ok",
            external_key=body.core_system_key,
            error=body.error,
            via="pull_api",
        )
    except ValidationError as exc:
        raise ApiError(409, "acknowledgement_refused", " ".join(exc.messages)) from None
    return {
        "receipt_number": receipt_number,
        "state": delivery.state,
        "core_system_key": delivery.external_key,
    }
