"""The staff API's request and response schemas (pydantic): what `docs/openapi.json` says of
each, and what each request is checked against before its handler runs."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainSerializer

from madoguchi.vocabulary import Channel, Identification, Status

# Times as the API has always written them (Python's isoformat, with the offset).
Moment = Annotated[dt.datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str)]
# The inbox's status filter: a status, or "open" (every open status).
StatusFilter = enum.Enum(  # type: ignore[misc]
    "StatusFilter", {value: value for value in ["open", *Status.values]}, type=str
)


class ProcedureRef(BaseModel):
    id: str
    version: str
    name: str


class Summary(BaseModel):
    """An application as the inbox lists it."""

    receipt_number: str
    procedure: ProcedureRef
    status: Status
    status_label: str
    identification: Identification
    applicant_name: str
    submitted_at: Moment
    received_at: Moment
    has_form_errors: bool
    due_date: dt.date
    assignee: str | None
    channel: Channel


class Detail(Summary):
    """An application with its form (個人番号 masked), problems and attachments."""

    form: dict[str, Any]
    form_errors: dict[str, Any]
    attachments: list[dict[str, Any]]
    identification_notes: list[str]
    atena_number: str | None


class Page(BaseModel):
    count: int = Field(description="1,000 件まで数える")
    count_is_capped: bool
    next_after: str | None
    results: list[Summary]


class ListQuery(BaseModel):
    """The inbox's search and filters, as the screen offers them."""

    q: str | None = Field(
        None, description="数字なら受付番号・宛名番号、それ以外は氏名・カナの前方一致"
    )
    status: StatusFilter | None = None
    procedure: str | None = None
    assignee: str | None = Field(None, description="me、none、または職員ID")
    overdue: bool | None = None
    identification: Identification | None = None
    channel: Channel | None = None
    duplicates: bool | None = Field(None, description="未確認の重複の可能性があるもの")
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    sort: Literal["new", "old", "due"] | None = None
    after: str | None = Field(None, description="前のページの next_after")


class TransitionIn(BaseModel):
    to_status: Status
    reason: str = Field("", description="補正依頼・却下・取下げでは必須(2,000 文字まで)")


class MyNumber(BaseModel):
    receipt_number: str
    my_number: str | None


class FormMyNumbers(BaseModel):
    receipt_number: str
    items: dict[str, str] = Field(description="カタログの型 my_number の項目ID → 個人番号")


class CounterApplicationIn(BaseModel):
    procedure: str = Field(description="手続ID(最新の版で受け付ける)")
    atena_number: str = Field(description="住民記録で確認した本人の宛名番号")
    channel: Literal["counter", "mail"] = "counter"
    arrived_on: dt.date | None = Field(None, description="郵送のとき必須: 到達日(到達印の日付)")
    form: dict[str, str] = Field(description="カタログの項目ID → 値")
