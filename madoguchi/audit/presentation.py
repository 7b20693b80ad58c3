"""Audit events as a person reads them: Japanese labels for kinds, targets and detail keys,
and details as short sentences rather than raw key=value codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.vocabulary import Channel, Identification, Role, Settlement, Status

from .constants import AuditAction
from .models import AuditEvent

TARGET_LABELS = {
    "application": _("申請"),
    "resident": _("住民"),
    "package": _("申請データ"),
    "user": _("職員"),
    "core_system": _("基幹システム"),
    "crl": _("CRL"),
    "trust_anchor": _("トラストアンカー"),
    "procedure": _("手続"),
    "file": _("ファイル"),
    "audit": _("監査ログ"),
    "application_list": _("申請一覧"),
    "meeting": _("会議"),
}

DETAIL_LABELS = {
    "from": _("変更前"),
    "to": _("変更後"),
    "reason": _("理由"),
    "memo": _("内部メモ"),
    "file": _("ファイル"),
    "core_system": _("基幹システム"),
    "outcome": _("結果"),
    "procedure": _("手続"),
    "identification": _("本人特定"),
    "receipt_number": _("受付番号"),
    "resident_code": _("住民票コード"),
    "purpose": _("目的"),
    "records": _("件数"),
    "rows": _("行数"),
    "held": _("保留した行"),
    "files_for": _("受付できるほかの課"),
    "late_accepted": _("到達日時を確認して受付"),
    "revoked": _("失効数"),
    "issuer": _("発行者"),
    "subject": _("主体者"),
    "role": _("役割"),
    "ip": _("接続元"),
    "until": _("期限"),
    "format": _("形式"),
    "name": _("名前"),
    "failures": _("失敗回数"),
    "sha256": _("SHA-256"),
    "via": _("経路"),
    "version": _("版"),
    "was": _("以前の理由"),
    "reply": _("補正の回答"),
    "token_id": _("トークン"),
    "filters": _("条件"),
    "count": _("件数"),
    "birth_date": _("生年月日"),
    "kind": _("種類"),
    "batch": _("発送の回"),
    "address": _("送付先"),
    "acknowledged": _("取込済"),
    "arrived_on": _("到達日"),
    "atena_number": _("宛名番号"),
    "base_dates": _("基準日"),
    "by_deputy": _("代決"),
    "changed": _("変更"),
    "channel": _("受付経路"),
    "character": _("文字"),
    "comment": _("意見"),
    "counts": _("件数の内訳"),
    "decision": _("決裁"),
    "delta": _("差分"),
    "department": _("課"),
    "effective_from": _("発令日"),
    "errors": _("エラー"),
    "failed": _("失敗"),
    "forced": _("強制"),
    "inline": _("画面表示"),
    "into": _("統合先"),
    "items": _("項目"),
    "links_created": _("紐付けの追加"),
    "links_ended": _("紐付けの終了"),
    "mentions": _("宛先"),
    "mismatches": _("不一致"),
    "my_number_columns": _("個人番号の列"),
    "my_number_items": _("個人番号の項目"),
    "note": _("備考"),
    "other": _("もう一方の申請"),
    "out": _("出力先"),
    "package_sha256": _("申請データ SHA-256"),
    "retention_years": _("保存年限"),
    "page": _("ページ"),
    "position": _("段"),
    "route": _("決裁ルート"),
    "scan": _("スキャン"),
    "screen": _("画面"),
    "settings_version": _("設定の版"),
    "settlement": _("確認の結果"),
    "signer_serial": _("証明書シリアル番号"),
    "source": _("元"),
    "step": _("段"),
    "steps": _("段"),
    "suspicion": _("重複の可能性"),
    "withdrawn": _("取り下げた申請"),
    "business_id": _("業務ID"),
    "client_id": _("クライアントID"),
    "pieces": _("音声の数"),
    "segments": _("発言の数"),
    "seconds": _("秒数"),
    "held_on": _("開催日"),
    "segment": _("発言"),
}


# Codes read as their labels (受付, not received): by key where a key means one thing in every
# event, by (action, key) where it does not — "from" and "to" are a status in one event, a 課
# or a 外字 in others, and those stay as written.
CODES_BY_KEY: dict[str, type[models.TextChoices]] = {
    "identification": Identification,
    "channel": Channel,
    "settlement": Settlement,
    "role": Role,
    "decision": Status,  # the decision a 決裁 route is for
}
CODES_BY_ACTION: dict[tuple[int, str], type[models.TextChoices]] = {
    (AuditAction.APPLICATION_STATUS_CHANGED, "from"): Status,
    (AuditAction.APPLICATION_STATUS_CHANGED, "to"): Status,
    (AuditAction.IDENTIFICATION_CHANGED, "from"): Identification,
    (AuditAction.IDENTIFICATION_CHANGED, "to"): Identification,
}


# Details in one order whatever the database: PostgreSQL's jsonb keeps its keys shortest first
# (変更後 before 変更前), SQLite as written. The order of DETAIL_LABELS, the others after.
DETAIL_ORDER = {key: position for position, key in enumerate(DETAIL_LABELS)}


def target_label(event: AuditEvent) -> str:
    kind = TARGET_LABELS.get(event.target_type, event.target_type)
    return f"{kind} {event.target_id}".strip()


Codes = Mapping[tuple[int, str], type[models.TextChoices]]


def _readable(event: AuditEvent, key: str, value: Any, more: Codes) -> Any:
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    at = (event.action, key)
    codes = more.get(at) or CODES_BY_ACTION.get(at) or CODES_BY_KEY.get(key)
    if codes is not None and value in codes.values:
        return codes(value).label
    return value


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    # Hashes and fingerprints: the start says enough on screen (the CSV has them whole).
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return text[:12] + "…"
    return text


def details(
    event: AuditEvent,
    *,
    whole: bool = False,
    more: Codes | None = None,
    procedures: Mapping[str, str] | None = None,
) -> str:
    """「変更前: 受付 / 変更後: 審査中 / 理由: …」; every key labelled, none hidden, in one order.
    ``more``: codes of the apps above the log, by (action, key), which it may not import;
    ``procedures``: 手続 names by their id (「手続: 児童手当 認定請求 (jidou-teate-nintei)」)."""
    extra = event.extra if isinstance(event.extra, dict) else {"": event.extra}
    shown = []
    last = len(DETAIL_ORDER)
    for key, value in sorted(extra.items(), key=lambda item: DETAIL_ORDER.get(item[0], last)):
        if value in (None, "", [], {}):
            continue
        label = DETAIL_LABELS.get(key, key)
        value = _readable(event, key, value, more or {})
        if key == "procedure" and procedures and value in procedures:
            value = f"{procedures[value]} ({value})"
        shown.append(f"{label}: {value if whole else _short(value)}")
    return " / ".join(shown)
