"""The only code that changes a member of staff's credentials (STYLE.md §2)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib import totp

from .models import LoginAttempt, User

# Wrong second-factor codes in a row before the second factor locks.
SECOND_FACTOR_FAILURE_LIMIT = 5


def second_factor_locked(user: User) -> bool:
    return user.totp_locked_until is not None and user.totp_locked_until > timezone.now()


@transaction.atomic
def record_second_factor_failure(user: User) -> bool:
    """Count a wrong code against the user (in the database, across sessions); True when
    this failure locks the second factor for the lockout period."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.totp_failures += 1
    record(
        AuditAction.SECOND_FACTOR_FAILED,
        actor=locked,
        target=locked,
        extra={"failures": locked.totp_failures},
    )
    now_locked = locked.totp_failures >= SECOND_FACTOR_FAILURE_LIMIT
    if now_locked:
        locked.totp_failures = 0
        locked.totp_locked_until = timezone.now() + dt.timedelta(
            seconds=settings.LOGIN_LOCKOUT_SECONDS
        )
        record(
            AuditAction.SECOND_FACTOR_LOCKED,
            actor=locked,
            target=locked,
            extra={"until": locked.totp_locked_until.isoformat()},
        )
    locked.save(update_fields=["totp_failures", "totp_locked_until"])
    return now_locked


@transaction.atomic
def reset_second_factor(user: User, *, actor: User | None) -> None:
    """An administrator's reset: the user enrols a new key at the next sign-in, and every
    session of theirs ends."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.totp_secret = ""
    locked.totp_last_counter = 0
    locked.totp_failures = 0
    locked.totp_locked_until = None
    locked.session_generation += 1
    locked.save(
        update_fields=[
            "totp_secret",
            "totp_last_counter",
            "totp_failures",
            "totp_locked_until",
            "session_generation",
        ]
    )
    record(
        AuditAction.SECOND_FACTOR_RESET,
        actor=actor,
        target=locked,
    )


@transaction.atomic
def record_login(
    username: str, *, user: User | None, succeeded: bool, ip_address: str | None
) -> None:
    """A login attempt: counted for the lockout (keyed by the normalised username) and
    audited."""
    LoginAttempt.objects.create(username=username[:150], succeeded=succeeded, ip_address=ip_address)
    record(
        AuditAction.LOGIN_SUCCEEDED if succeeded else AuditAction.LOGIN_FAILED,
        actor=user,
        target_type="user",
        target_id=username[:64],
        extra={"ip": ip_address},
    )


def record_logout(user: User) -> None:
    record(AuditAction.LOGOUT, actor=user, target=user)


@transaction.atomic
def end_every_session(user: User) -> None:
    """すべての端末からログアウト: every session begun before now ends at its next request."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    record(
        AuditAction.LOGOUT_EVERYWHERE,
        actor=user,
        target=user,
    )


@transaction.atomic
def accept_second_factor_code(user: User, secret: str, code: str) -> bool:
    """A TOTP code for ``secret``: accepted once (a replayed code is refused); the first
    accepted code enrols the key (audited)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    counter = totp.matching_counter(secret, code, after=locked.totp_last_counter)
    if counter is None:
        return False
    enrolling = not locked.totp_secret
    locked.totp_secret = secret
    locked.totp_last_counter = counter
    locked.totp_failures = 0
    locked.save(update_fields=["totp_secret", "totp_last_counter", "totp_failures"])
    if enrolling:
        record(
            AuditAction.SECOND_FACTOR_ENROLLED,
            actor=locked,
            target=locked,
        )
    return True
