"""The API's OpenAPI 3.1 description; `docs/openapi.json` is this, committed (a test checks)."""

from __future__ import annotations

from typing import Any

from madoguchi.linking.constants import DeliveryState
from madoguchi.vocabulary import RECEIPT_PREFIX, Channel, Identification, Status

_ERROR = {"$ref": "#/components/schemas/Error"}
_RECEIPT = {"name": "receipt_number", "in": "path", "required": True, "schema": {"type": "string"}}
_CORE_SYSTEM = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "基幹システム(カタログの core_system、例: kaigo_hoken)。"
    "トークンの基幹システムと同じであること",
}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "schema": schema}
    return parameter | ({"description": description} if description else {})


_CORE_SYSTEM_TOKEN: list[dict[str, list[str]]] = [{"coreSystemBearer": []}]


def _responses(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    descriptions = {
        400: "入力が不正",
        401: "トークンがない・無効",
        403: "権限がない",
        404: "ない、または所属外",
        409: "ワークフロー・連携状況が許さない操作",
    }
    answers: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": ok}}}
    }
    for code in codes:
        answers[str(code)] = {
            "description": descriptions[code],
            "content": {"application/json": {"schema": _ERROR}},
        }
    return answers


SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "madoguchi API",
        "version": "1",
        "description": "申請管理システムの照会・ステータス管理 API。職員ごとの API トークン"
        "(Authorization: Bearer)で認証し、所属の範囲だけを返す。",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/applications": {
            "get": {
                "summary": "申請の一覧(所属の範囲、50件ずつ、位置による続き読み)",
                "parameters": [
                    _query(
                        "q",
                        {"type": "string"},
                        "数字なら受付番号・宛名番号、それ以外は氏名・カナの前方一致",
                    ),
                    _query("status", {"type": "string", "enum": ["open", *Status.values]}),
                    _query("procedure", {"type": "string"}),
                    _query("assignee", {"type": "string"}, "me、none、または職員ID"),
                    _query("overdue", {"type": "boolean"}),
                    _query("identification", {"type": "string", "enum": Identification.values}),
                    _query("channel", {"type": "string", "enum": Channel.values}),
                    _query("duplicates", {"type": "boolean"}, "未確認の重複の可能性があるもの"),
                    _query("received_from", {"type": "string", "format": "date"}),
                    _query("received_to", {"type": "string", "format": "date"}),
                    _query("sort", {"type": "string", "enum": ["new", "old", "due"]}),
                    _query("after", {"type": "string"}, "前のページの next_after"),
                ],
                "responses": _responses({"$ref": "#/components/schemas/Page"}, 400, 401),
            }
        },
        "/applications/{receipt_number}": {
            "get": {
                "summary": "申請の内容(閲覧は監査ログに記録される)",
                "parameters": [_RECEIPT],
                "responses": _responses({"$ref": "#/components/schemas/Detail"}, 401, 404),
            }
        },
        "/applications/{receipt_number}/transition": {
            "post": {
                "summary": "ステータスの変更(補正依頼・却下・取下げは理由が必須)",
                "parameters": [_RECEIPT],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["to_status"],
                                "properties": {
                                    "to_status": {"type": "string", "enum": Status.values},
                                    "reason": {"type": "string", "maxLength": 2000},
                                },
                            }
                        }
                    },
                },
                "responses": _responses(
                    {"$ref": "#/components/schemas/Summary"}, 400, 401, 404, 409
                ),
            }
        },
        "/applications/{receipt_number}/my-number": {
            "post": {
                "summary": "本人の個人番号(審査担当のみ。1件ごとに監査ログに記録される)",
                "parameters": [_RECEIPT],
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {
                            "receipt_number": {"type": "string"},
                            "my_number": {"type": ["string", "null"]},
                        },
                    },
                    401,
                    403,
                    404,
                ),
            }
        },
        "/applications/{receipt_number}/form-my-numbers": {
            "post": {
                "summary": "申請書に書かれた個人番号(審査担当のみ。1件ごとに監査ログに記録される)",
                "description": "カタログの型 my_number の項目を項目IDごとに平文で返す。"
                "申請内容(GET applications/{receipt_number} の form)では伏せ字",
                "parameters": [_RECEIPT],
                "responses": _responses(
                    {
                        "type": "object",
                        "required": ["receipt_number", "items"],
                        "properties": {
                            "receipt_number": {"type": "string"},
                            "items": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                    },
                    401,
                    403,
                    404,
                ),
            }
        },
        "/counter-applications": {
            "post": {
                "summary": "窓口・郵送の申請の受付(書かない窓口・キオスク・窓口の既存システムから)",
                "description": "職員のトークンで、所属の手続だけ。カタログの申請書と同じ検査を"
                "行い、不備のある項目は 400 invalid_form の fields に項目IDごとの理由を返す。"
                "所属外・不明の手続は 404。受付番号は madoguchi が付ける(窓口 C…、郵送 M…)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["procedure", "atena_number", "form"],
                                "properties": {
                                    "procedure": {
                                        "type": "string",
                                        "description": "手続ID(最新の版で受け付ける)",
                                    },
                                    "atena_number": {
                                        "type": "string",
                                        "description": "住民記録で確認した本人の宛名番号",
                                    },
                                    "channel": {
                                        "type": "string",
                                        "enum": [c.value for c in RECEIPT_PREFIX],
                                        "default": Channel.COUNTER.value,
                                    },
                                    "arrived_on": {
                                        "type": "string",
                                        "format": "date",
                                        "description": "郵送のとき必須: 到達日(到達印の日付)",
                                    },
                                    "form": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                        "description": "カタログの項目ID → 値",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "受け付けた",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Summary"}}
                        },
                    },
                    **{
                        code: answer
                        for code, answer in _responses({}, 400, 401, 403, 404).items()
                        if code != "200"
                    },
                },
            }
        },
        "/core-systems/{key}/records": {
            "get": {
                "summary": "方式3: この基幹システムへの連携の一覧(古い順、100件ずつ)",
                "security": _CORE_SYSTEM_TOKEN,
                "parameters": [
                    _CORE_SYSTEM,
                    _query(
                        "state",
                        {
                            "type": "string",
                            "enum": DeliveryState.values,
                            "default": "pending",
                        },
                    ),
                    _query("after", {"type": "integer"}, "前のページの next_after"),
                ],
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {
                            "results": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/DeliverySummary"},
                            },
                            "next_after": {"type": ["integer", "null"]},
                        },
                    },
                    400,
                    401,
                    404,
                ),
            }
        },
        "/core-systems/{key}/records/{receipt_number}": {
            "get": {
                "summary": "方式3: 1件を基幹システムの項目順で取得する(最初の取得で送付済になる)",
                "description": "改行・制御文字・文字の向きを変える記号を含む値や、= + - @ で"
                "始まる値がある申請は渡さず 409 held_back を返す(職員が確認して対応する)",
                "security": _CORE_SYSTEM_TOKEN,
                "parameters": [_CORE_SYSTEM, _RECEIPT],
                "responses": _responses({"$ref": "#/components/schemas/Record"}, 401, 404, 409),
            }
        },
        "/core-systems/{key}/records/{receipt_number}/acknowledgement": {
            "post": {
                "summary": "方式3: 取込結果を返す(ok で取込済・基幹連携済、failed で失敗)",
                "security": _CORE_SYSTEM_TOKEN,
                "parameters": [_CORE_SYSTEM, _RECEIPT],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["result"],
                                "properties": {
                                    "result": {"type": "string", "enum": ["ok", "failed"]},
                                    "core_system_key": {"type": "string", "maxLength": 100},
                                    "error": {
                                        "type": "string",
                                        "description": "failed のときは必須",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {
                            "receipt_number": {"type": "string"},
                            "state": {"type": "string", "enum": DeliveryState.values},
                            "core_system_key": {"type": "string"},
                        },
                    },
                    400,
                    401,
                    404,
                    409,
                ),
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "職員の API トークン"},
            "coreSystemBearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "基幹システム用トークン(madoguchi linking token KEY)",
            },
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "invalid_form: 項目IDごとの理由",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "Summary": {
                "type": "object",
                "properties": {
                    "receipt_number": {"type": "string"},
                    "procedure": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "version": {"type": "string"},
                            "name": {"type": "string"},
                        },
                    },
                    "status": {"type": "string", "enum": Status.values},
                    "status_label": {"type": "string"},
                    "identification": {"type": "string", "enum": Identification.values},
                    "applicant_name": {"type": "string"},
                    "submitted_at": {"type": "string", "format": "date-time"},
                    "received_at": {"type": "string", "format": "date-time"},
                    "has_form_errors": {"type": "boolean"},
                    "due_date": {"type": "string", "format": "date"},
                    "assignee": {"type": ["string", "null"]},
                    "channel": {"type": "string", "enum": Channel.values},
                },
            },
            "Detail": {
                "allOf": [
                    {"$ref": "#/components/schemas/Summary"},
                    {
                        "type": "object",
                        "properties": {
                            "form": {"type": "object", "additionalProperties": {"type": "string"}},
                            "form_errors": {"type": "object"},
                            "attachments": {"type": "array", "items": {"type": "object"}},
                            "identification_notes": {"type": "array", "items": {"type": "string"}},
                            "atena_number": {"type": ["string", "null"]},
                        },
                    },
                ]
            },
            "DeliverySummary": {
                "type": "object",
                "properties": {
                    "receipt_number": {"type": "string"},
                    "procedure_id": {"type": "string"},
                    "procedure_version": {"type": "string"},
                    "state": {"type": "string", "enum": DeliveryState.values},
                    "attempts": {"type": "integer"},
                    "url": {"type": "string"},
                },
            },
            "Record": {
                "type": "object",
                "properties": {
                    "receipt_number": {"type": "string"},
                    "core_system": {"type": "string"},
                    "procedure_id": {"type": "string"},
                    "procedure_version": {"type": "string"},
                    "state": {"type": "string", "enum": DeliveryState.values},
                    "attempts": {"type": "integer"},
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "number": {"type": "integer"},
                                "header": {"type": "string"},
                                "source": {"type": "string"},
                                "value": {"type": "string", "description": "日付は ISO 8601"},
                            },
                        },
                    },
                },
            },
            "Page": {
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "description": "1,000 件まで数える"},
                    "count_is_capped": {"type": "boolean"},
                    "next_after": {"type": ["string", "null"]},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Summary"}},
                },
            },
        },
    },
}
