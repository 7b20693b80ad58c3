"""Audited reads of personal data: a detail viewed, a list exported, 個人番号 revealed, a print."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.vocabulary import RECEIPT_PREFIX

from ..models import (
    Application,
    ApplicationRead,
)
from ..sealing import my_number_keys


@transaction.atomic
def record_view(application: Application, viewer: User) -> None:
    """Reading an application's personal data is itself an audited event; the first read by
    this member of staff also ends its 新着 for them, and each notes when they last saw it.
    One transaction for both: one commit (a disk flush) per view, not two. The audit
    event goes last: it locks the chain's head, which every audited action of every clerk
    waits for, so the lock is held for the append and the commit only."""
    ApplicationRead.objects.bulk_create(
        [ApplicationRead(application=application, user=viewer, last_read_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "application"],
        update_fields=["last_read_at"],
    )
    record_read(application, viewer, AuditAction.APPLICATION_VIEWED)


def record_list_export(reader: User, query: str, count: int) -> None:
    """A list of applications downloaded as a file: who, with which filters, how many."""
    record(
        AuditAction.APPLICATION_LIST_EXPORTED,
        actor=reader,
        target_type="application_list",
        extra={"filters": query, "count": count},
    )


@transaction.atomic
def reveal_form_my_numbers(
    application: Application, *, viewer: User, purpose: str
) -> dict[str, str]:
    """The form with its 個人番号 items in clear, for a role that may read them; the read is
    audited (which items, for what). Without such items it is the form as stored."""
    if not viewer.may_read_my_number:
        raise PermissionDenied
    return _read_my_numbers(application, viewer, purpose)


def _read_my_numbers(application: Application, viewer: User, purpose: str) -> dict[str, str]:
    """The form in clear, the read recorded (which 個人番号 items, for what) when it has any."""
    keys = my_number_keys(application.procedure.fields, application.form)
    if keys:
        record(
            AuditAction.MY_NUMBER_VIEWED,
            actor=viewer,
            target=application,
            extra={"purpose": purpose, "items": sorted(keys)},
        )
    return application.form_with_my_numbers()


def sheet_form(application: Application, *, viewer: User) -> dict[str, str]:
    """The form for the resident's own sheet (申請書 to check and sign): every value as it
    was given, the 個人番号 in full so that the resident can check the number the clerk
    typed. For the member of staff who filed it at the counter or from the mail, or a role
    that may read 個人番号; audited like any reading of the number."""
    filer = application.filed_by_id == viewer.pk and application.channel in RECEIPT_PREFIX
    if not (filer or viewer.may_read_my_number):
        raise PermissionDenied
    return _read_my_numbers(application, viewer, "本人確認・署名用の申請書")


def record_read(
    application: Application,
    reader: User | None,
    action: AuditAction,
    extra: dict[str, Any] | None = None,
) -> None:
    """An audited read of an application's personal data: a screen, a download, an
    attachment, a core system's fetch (``reader`` None)."""
    record(action, actor=reader, target=application, extra=extra)
