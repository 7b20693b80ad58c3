"""The only code that changes a delivery's state (待ち → 送付済 → 取込済 / 失敗)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.procedures.models import Procedure
from madoguchi.residents import crypto
from madoguchi.vocabulary import Status

from .constants import MARKED_BY_STAFF, DeliveryState, HandoffMethod
from .deliveries import mark_sent
from .gaiji import parse_entry
from .models import BatchFile, Delivery, GaijiEntry, OAuthClient


@transaction.atomic
def acknowledge(
    delivery_id: int,
    *,
    ok: bool,
    external_key: str = "",
    error: str = "",
    actor: User | None = None,
    via: str,
) -> Delivery:
    """The core system's answer for one record (or a clerk's 転記済): 取込済 moves the
    application to 基幹連携済; 失敗 keeps it 基幹連携待ち for a clerk to resend.

    Repeating the same answer changes nothing (a core system may send it twice).
    """
    delivery = (
        Delivery.objects.select_for_update().select_related("application").get(pk=delivery_id)
    )
    if delivery.state == DeliveryState.ACKNOWLEDGED:
        if ok:
            return delivery
        raise ValidationError(_("取込済の申請です"))
    now = timezone.now()
    delivery.held_back = False  # answered: no longer waiting for anything
    if ok:
        delivery.state = DeliveryState.ACKNOWLEDGED
        delivery.acknowledged_at = now
        delivery.external_key = external_key.strip()[:100]
        delivery.next_attempt_at = None
        delivery.save()
        change_status(delivery.application_id, Status.HANDED_OFF, actor=actor, handoff=True)
        action, extra = AuditAction.HANDOFF_ACKNOWLEDGED, {"external_key": delivery.external_key}
    else:
        delivery.state = DeliveryState.FAILED
        delivery.failed_at = now
        delivery.last_error = error.strip()[:2000] or _("理由の記載なし")
        delivery.next_attempt_at = None
        delivery.save()
        action, extra = AuditAction.HANDOFF_FAILED, {"error": delivery.last_error}
    record(
        action,
        actor=actor,
        target=delivery.application,
        extra={"core_system": delivery.core_system, "via": via, **extra},
    )
    return delivery


@transaction.atomic
def mark_transcribed(delivery_id: int, *, actor: User, external_key: str = "") -> Delivery:
    """転記済: a clerk (or an RPA tool under a clerk's login) has keyed the record in, with
    the number the core system gave it if any; also the way out for a record a batch file
    could not carry (held back, still 待ち)."""
    delivery = Delivery.objects.select_related("application").get(pk=delivery_id)
    if not Application.objects.visible_to(actor).filter(pk=delivery.application_id).exists():
        raise PermissionDenied
    if delivery.method not in MARKED_BY_STAFF and not delivery.is_held_back:
        raise ValidationError(_("この申請は転記ではなく基幹システムが取り込みます"))
    return acknowledge(
        delivery_id, ok=True, external_key=external_key, actor=actor, via="transcription"
    )


@transaction.atomic
def resend(delivery_id: int, *, actor: User) -> Delivery:
    """A clerk sends a failed record again (after fixing what the core system refused)."""
    delivery = (
        Delivery.objects.select_for_update().select_related("application").get(pk=delivery_id)
    )
    if not Application.objects.visible_to(actor).filter(pk=delivery.application_id).exists():
        raise PermissionDenied
    if delivery.state not in (DeliveryState.FAILED, DeliveryState.SENT):
        raise ValidationError(_("再送できるのは失敗または送付済の連携です"))
    previous = delivery.state
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = None
    # A fresh start: what failed before is in the audit log, not a reason to hold it back.
    delivery.last_error = ""
    delivery.held_back = False
    delivery.save(update_fields=["state", "next_attempt_at", "last_error", "held_back"])
    record(
        AuditAction.HANDOFF_RESENT,
        actor=actor,
        target=delivery.application,
        extra={"core_system": delivery.core_system, "from": previous},
    )
    return delivery


def resend_failed(core_system_key: str, *, actor: User) -> int:
    """再送 of every failed record of one core system the clerk's department may see (after
    the cause was fixed on the core system's side); each record on its own."""
    failed = Delivery.objects.filter(
        core_system=core_system_key,
        state=DeliveryState.FAILED,
        application__in=Application.objects.visible_to(actor),
    ).values_list("pk", flat=True)
    done = 0
    for pk in list(failed):
        resend(pk, actor=actor)
        done += 1
    return done


@transaction.atomic
def record_fetched(delivery_id: int, my_number_items: Sequence[str] = ()) -> Delivery:
    """方式3: the core system fetched the record; the first fetch makes it 送付済. The audit
    record names the 個人番号 items it carried in clear (the record of their provision)."""
    delivery = Delivery.objects.select_related("application").get(pk=delivery_id)
    if delivery.state == DeliveryState.PENDING:
        mark_sent([delivery.pk], method=HandoffMethod.PULL_API)
        delivery.refresh_from_db()
    record(
        AuditAction.HANDOFF_RECORD_FETCHED,
        actor=None,
        target=delivery.application,
        extra={"core_system": delivery.core_system}
        | ({"my_number_items": list(my_number_items)} if my_number_items else {}),
    )
    return delivery


def register_oauth_client(
    core_system: str, business_id: str, *, actor: User | None
) -> tuple[str, str]:
    """A core system's OAuth2 client (共通機能標準仕様書 §2.2.5): (client_id, client_secret),
    the secret shown once and kept only encrypted; audited like a token issued."""
    client_id = f"{core_system}-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(32)
    OAuthClient.objects.create(
        client_id=client_id,
        secret=crypto.encrypt(secret),
        core_system=core_system,
        business_id=business_id,
    )
    record(
        AuditAction.CORE_SYSTEM_TOKEN_ISSUED,
        actor=actor,
        target_type="core_system",
        target_id=core_system,
        extra={"client_id": client_id, "business_id": business_id},
    )
    return client_id, secret


def package_fetched(delivery: Delivery, sha256: str) -> None:
    """方式3: the core system took the 申請ZIP as received (signed XML and attachments)."""
    record(
        AuditAction.HANDOFF_PACKAGE_FETCHED,
        actor=None,
        target=delivery.application,
        extra={"core_system": delivery.core_system, "sha256": sha256},
    )


def record_batch(
    core_system: str,
    procedure: Procedure,
    *,
    file_name: str,
    file_format: str,
    delivery_ids: list[int],
    sha256: str,
    actor: User | None,
    manifest: dict[str, Any] | None = None,
    my_number_columns: Sequence[str] = (),
) -> BatchFile:
    """方式4: a batch file of these deliveries, 送付済 with it; inside the exporting
    transaction (the file takes its name when it commits). The audit record names the
    columns that carry 個人番号 in clear."""
    batch = BatchFile.objects.create(
        core_system=core_system,
        procedure=procedure,
        file_name=file_name,
        file_format=file_format,
        records=len(delivery_ids),
        sha256=sha256,
        manifest=manifest or {},
    )
    mark_sent(delivery_ids, batch_id=batch.pk, method=HandoffMethod.BATCH)
    record(
        AuditAction.APPLICATIONS_EXPORTED,
        actor=actor,
        target_type="procedure",
        target_id=procedure.procedure_id,
        extra={
            "file": file_name,
            "version": procedure.version,
            "format": str(file_format),
            "records": len(delivery_ids),
            "sha256": sha256,
            "core_system": core_system,
        }
        | ({"my_number_columns": list(my_number_columns)} if my_number_columns else {})
        # The signed packages went with it (they carry 個人番号 as signed, if the form does).
        | (
            {"package_sha256": manifest["packages"]["sha256"]}
            if manifest and "packages" in manifest
            else {}
        ),
    )
    return batch


def record_results_read(
    core_system: str, file_name: str, *, acknowledged: int, failed: int, errors: int
) -> None:
    """A core system's result file has been read (each line was its own acknowledgement)."""
    record(
        AuditAction.HANDOFF_RESULTS_IMPORTED,
        actor=None,
        target_type="core_system",
        target_id=core_system,
        extra={"file": file_name, "acknowledged": acknowledged, "failed": failed, "errors": errors},
    )


@transaction.atomic
def set_gaiji(
    core_system_key: str, character: str, replacement: str, note: str, *, actor: User
) -> GaijiEntry:
    """A row of the core system's 外字 table, entered on screen; records held back for that
    character go out with the next file (they are still 待ち). Refused (GaijiTableError)
    unless the replacement fits CP932."""
    if not actor.may_edit_gaiji:
        raise PermissionDenied
    parse_entry(character, replacement)
    entry, _created = GaijiEntry.objects.update_or_create(
        core_system=core_system_key,
        character=character,
        defaults={"replacement": replacement.strip(), "note": note.strip(), "updated_by": actor},
    )
    record(
        AuditAction.GAIJI_CHANGED,
        actor=actor,
        target_type="core_system",
        target_id=core_system_key,
        extra={"character": character, "to": entry.replacement, "note": entry.note},
    )
    return entry


@transaction.atomic
def remove_gaiji(entry_id: int, *, actor: User) -> None:
    if not actor.may_edit_gaiji:
        raise PermissionDenied
    entry = GaijiEntry.objects.get(pk=entry_id)
    entry.delete()
    record(
        AuditAction.GAIJI_CHANGED,
        actor=actor,
        target_type="core_system",
        target_id=entry.core_system,
        extra={"character": entry.character, "from": entry.replacement, "to": ""},
    )
