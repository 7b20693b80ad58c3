"""The only code that changes a member of staff (STYLE.md §2): credentials, sign-in and
sessions, and the administrator's actions on staff and 課 — register, 人事異動 with their
発令日, leavers, one-time passwords — each one transaction and one audit record. The
screens (views.py), the commands (`madoguchi staff`, `madoguchi departments`) and the
directory sign-in all come through here."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import ApiToken, Department, LoginAttempt, StaffMove, User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib import totp
from madoguchi.vocabulary import Role

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


def record_session_expired(user: User, reason: str) -> None:
    """A session ended by the idle timeout or the absolute limit (accounts/session.py)."""
    record(AuditAction.SESSION_EXPIRED, actor=user, target=user, extra={"reason": reason})


USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,150}")
DEPARTMENT_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


# Names an administrator or a 人事課 list may use for a role besides its code and label.
ROLE_ALIASES = {
    "admin": Role.ADMINISTRATOR,
    "clerk": Role.COUNTER_CLERK,
    "課長": Role.MANAGER,
    "係長": Role.MANAGER,
}


class StaffError(ValueError):
    """A request the administrator can correct: the message says what, in Japanese."""


def one_time_password() -> str:
    """A password for the first sign-in after it is set; the member changes it there."""
    return secrets.token_urlsafe(12)


def find_staff(username: str) -> User:
    user = User.objects.filter(username=User.normalize_username(username.strip())).first()
    if user is None:
        raise StaffError(_("職員がいません: %(u)s") % {"u": username})
    return user


def find_department(code: str) -> Department:
    department = Department.objects.filter(code=code.strip()).first()
    if department is None:
        raise StaffError(_("所属コードがありません: %(c)s") % {"c": code})
    if department.merged_into_id is not None:
        raise StaffError(
            _("所属 %(c)s は %(to)s に統合されています") % {"c": code, "to": department.merged_into}
        )
    return department


def parse_role(value: str) -> Role:
    """A role by its code (``reviewer``), its Japanese label (審査担当) or an alias."""
    text = value.strip()
    for role in Role:
        if text in (role.value, str(role.label)):
            return role
    if text in ROLE_ALIASES:
        return ROLE_ALIASES[text]
    raise StaffError(
        _("役割が正しくありません: %(v)s (%(choices)s のいずれか)")
        % {"v": value, "choices": "・".join(str(r.label) for r in Role)}
    )


def today() -> dt.date:
    """The office's date, by which a 発令日 is reached."""
    return timezone.localdate()


@transaction.atomic
def add_staff(
    username: str,
    *,
    display_name: str,
    department: Department | None,
    role: Role,
    actor: User | None,
    display_name_kana: str = "",
    email: str = "",
    source: str = "local",
) -> tuple[User, str]:
    """A new member of staff with a one-time password (returned, shown once), to be
    changed at the first sign-in. The administrator belongs to no 課."""
    username = User.normalize_username(username.strip())
    if not USERNAME.fullmatch(username):
        raise StaffError(
            _("ユーザー名は半角英数字と . _ @ + - で 150 文字までです: %(u)s") % {"u": username}
        )
    if User.objects.filter(username=username).exists():
        raise StaffError(_("同じユーザー名の職員がすでにいます: %(u)s") % {"u": username})
    if not display_name.strip():
        raise StaffError(_("氏名を入力してください"))
    if role != Role.ADMINISTRATOR and department is None:
        raise StaffError(_("システム管理者のほかは所属が必要です"))
    password = one_time_password()
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email.strip(),
        display_name=display_name.strip(),
        display_name_kana=display_name_kana.strip(),
        department=None if role == Role.ADMINISTRATOR else department,
        role=role,
        must_change_password=True,
    )
    record(
        AuditAction.STAFF_CREATED,
        actor=actor,
        target=user,
        extra={
            "department": user.department.code if user.department else None,
            "role": role.value,
            "source": source,
        },
    )
    return user, password


@transaction.atomic
def update_staff(
    user: User, *, display_name: str, display_name_kana: str, email: str, actor: User | None
) -> None:
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not display_name.strip():
        raise StaffError(_("氏名を入力してください"))
    changed = {
        name: value.strip()
        for name, value in (
            ("display_name", display_name),
            ("display_name_kana", display_name_kana),
            ("email", email),
        )
        if getattr(locked, name) != value.strip()
    }
    if not changed:
        return
    for name, value in changed.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changed))
    record(
        AuditAction.STAFF_UPDATED, actor=actor, target=locked, extra={"changed": sorted(changed)}
    )


@transaction.atomic
def set_counter_departments(
    user: User, departments: list[Department], *, actor: User | None
) -> None:
    """総合窓口: the other 課 whose procedures this member may file at the counter."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    wanted = {d.pk for d in departments if d.pk != locked.department_id}
    if wanted == set(locked.files_for.values_list("pk", flat=True)):
        return
    locked.files_for.set(wanted)
    record(
        AuditAction.STAFF_UPDATED,
        actor=actor,
        target=locked,
        extra={
            "changed": ["files_for"],
            "files_for": sorted(d.code for d in departments if d.pk in wanted),
        },
    )


@dataclass(frozen=True)
class Move:
    """What a 人事異動 changes; None leaves that part as it is."""

    department: Department | None = None
    role: Role | None = None

    def describe(self) -> dict[str, str | None]:
        return {
            "department": self.department.code if self.department else None,
            "role": self.role.value if self.role else None,
        }


@transaction.atomic
def move_staff(
    user: User, move: Move, *, effective_from: dt.date | None, actor: User | None
) -> StaffMove | None:
    """A 人事異動: at once when its 発令日 is today or past (or not given), else kept as a
    StaffMove that takes effect on the day by itself. Returns the pending move, if any."""
    if move.department is None and move.role is None:
        raise StaffError(_("異動先の所属か役割を指定してください"))
    if move.department is not None and move.department.merged_into_id is not None:
        raise StaffError(_("統合された所属には異動できません: %(d)s") % {"d": move.department})
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        raise StaffError(_("無効にされた職員は異動できません: %(u)s") % {"u": locked.username})
    role = move.role or Role(locked.role)
    if role != Role.ADMINISTRATOR and move.department is None and locked.department_id is None:
        raise StaffError(_("システム管理者のほかは所属が必要です"))
    if effective_from is None or effective_from <= today():
        _apply(locked, move, actor=actor, effective_from=effective_from or today())
        return None
    pending = StaffMove.objects.create(
        user=locked,
        department=move.department,
        role=move.role.value if move.role else "",
        effective_from=effective_from,
        created_by=actor,
    )
    _refresh_move_due(locked)
    record(
        AuditAction.STAFF_MOVE_SCHEDULED,
        actor=actor,
        target=locked,
        extra={**move.describe(), "effective_from": effective_from.isoformat()},
    )
    return pending


def _apply(locked: User, move: Move, *, actor: User | None, effective_from: dt.date) -> None:
    before = {
        "department": locked.department.code if locked.department else None,
        "role": locked.role,
    }
    if move.role is not None:
        locked.role = move.role
    if move.role == Role.ADMINISTRATOR:
        locked.department = None
    elif move.department is not None:
        locked.department = move.department
    locked.save(update_fields=["role", "department"])
    record(
        AuditAction.STAFF_MOVED,
        actor=actor,
        target=locked,
        extra={
            "from": before,
            "to": {
                "department": locked.department.code if locked.department else None,
                "role": locked.role,
            },
            "effective_from": effective_from.isoformat(),
        },
    )


def _refresh_move_due(locked: User) -> None:
    locked.move_due = StaffMove.objects.filter(user=locked, applied_at=None).aggregate(
        due=Min("effective_from")
    )["due"]
    locked.save(update_fields=["move_due"])


@transaction.atomic
def cancel_move(pending: StaffMove, *, actor: User | None) -> None:
    locked = User.objects.select_for_update().get(pk=pending.user_id)
    deleted, _rows = StaffMove.objects.filter(pk=pending.pk, applied_at=None).delete()
    if not deleted:
        return
    _refresh_move_due(locked)
    record(
        AuditAction.STAFF_MOVE_CANCELLED,
        actor=actor,
        target=locked,
        extra={"effective_from": pending.effective_from.isoformat()},
    )


def apply_due_moves(user: User | None = None, *, on: dt.date | None = None) -> int:
    """Every pending 人事異動 whose 発令日 has come (one member's, or everyone's): applied
    in date order, each audited with the system as its actor. Returns how many."""
    on = on or today()
    due = User.objects.filter(move_due__lte=on)
    if user is not None:
        due = due.filter(pk=user.pk)
    applied = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=pk)
            for pending in StaffMove.objects.select_related("department").filter(
                user=locked, applied_at=None, effective_from__lte=on
            ):
                role = Role(pending.role) if pending.role else None
                _apply(
                    locked,
                    Move(pending.department, role),
                    actor=None,
                    effective_from=pending.effective_from,
                )
                pending.applied_at = timezone.now()
                pending.save(update_fields=["applied_at"])
                applied += 1
            _refresh_move_due(locked)
    if user is not None and applied:
        user.refresh_from_db(fields=["department", "role", "move_due"])
    return applied


@transaction.atomic
def disable_staff(user: User, *, actor: User | None) -> None:
    """A leaver: sign-in refused, live sessions and API tokens end at once (both check
    is_active on every request); the account and everything it did stay on record."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None and locked.pk == actor.pk:
        raise StaffError(_("自分自身を無効にはできません"))
    if not locked.is_active:
        return
    locked.is_active = False
    locked.session_generation = F("session_generation") + 1
    locked.save(update_fields=["is_active", "session_generation"])
    record(AuditAction.STAFF_DISABLED, actor=actor, target=locked)


@transaction.atomic
def enable_staff(user: User, *, actor: User | None) -> None:
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        return
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    record(AuditAction.STAFF_ENABLED, actor=actor, target=locked)


@transaction.atomic
def reset_password(user: User, *, actor: User | None) -> str:
    """A one-time password (returned, shown once): every session ends, and the member
    chooses a new password at the next sign-in."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    password = one_time_password()
    locked.set_password(password)
    locked.must_change_password = True
    locked.session_generation = F("session_generation") + 1
    locked.save(update_fields=["password", "must_change_password", "session_generation"])
    record(AuditAction.PASSWORD_RESET, actor=actor, target=locked)
    return password


@transaction.atomic
def change_own_password(user: User, password: str) -> None:
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.set_password(password)
    locked.must_change_password = False
    locked.save(update_fields=["password", "must_change_password"])
    record(AuditAction.PASSWORD_CHANGED, actor=locked, target=locked)
    user.password = locked.password
    user.must_change_password = False


@transaction.atomic
def add_department(code: str, *, name: str, actor: User | None) -> Department:
    code = code.strip()
    if not DEPARTMENT_CODE.fullmatch(code):
        raise StaffError(
            _("所属コードは半角の英小文字・数字・_ - で 40 文字までです: %(c)s") % {"c": code}
        )
    if not name.strip():
        raise StaffError(_("所属名を入力してください"))
    if Department.objects.filter(code=code).exists():
        raise StaffError(_("同じ所属コードがすでにあります: %(c)s") % {"c": code})
    department = Department.objects.create(code=code, name=name.strip())
    record(
        AuditAction.DEPARTMENT_CREATED,
        actor=actor,
        target_type="department",
        target_id=code,
        extra={"name": department.name},
    )
    return department


@transaction.atomic
def rename_department(department: Department, *, name: str, actor: User | None) -> None:
    if not name.strip():
        raise StaffError(_("所属名を入力してください"))
    before = department.name
    if before == name.strip():
        return
    Department.objects.filter(pk=department.pk).update(name=name.strip())
    department.name = name.strip()
    record(
        AuditAction.DEPARTMENT_RENAMED,
        actor=actor,
        target_type="department",
        target_id=department.code,
        extra={"from": before, "to": department.name},
    )


@transaction.atomic
def sync_directory_account(
    user: User,
    *,
    created: bool,
    department: Department | None,
    role: Role,
    display_name: str,
    display_name_kana: str,
    email: str,
) -> None:
    """At a directory sign-in (directory.py): the account takes the 課, role and names the
    directory's groups and attributes give, audited as any change by the administrator."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    department = None if role == Role.ADMINISTRATOR else department
    if created:
        locked.department, locked.role = department, role
        locked.display_name, locked.display_name_kana, locked.email = (
            display_name,
            display_name_kana,
            email,
        )
        locked.save()
        record(
            AuditAction.STAFF_CREATED,
            actor=None,
            target=locked,
            extra={
                "department": department.code if department else None,
                "role": role.value,
                "source": "directory",
            },
        )
    else:
        if (locked.department_id, locked.role) != (department.pk if department else None, role):
            _apply(locked, Move(department, role), actor=None, effective_from=today())
        names = (display_name, display_name_kana, email)
        if names != (locked.display_name, locked.display_name_kana, locked.email):
            update_staff(
                locked,
                display_name=display_name,
                display_name_kana=display_name_kana,
                email=email,
                actor=None,
            )
    user.refresh_from_db()


# API tokens, for staff or for a core system: each audited (a reviewer's token can read
# 個人番号, a core system's reads its records).


@transaction.atomic
def issue_api_token(user: User, name: str, *, actor: User | None) -> str:
    """A new token for ``user``; its clear value is returned once and never stored."""
    token, value = ApiToken.issue(user, name)
    record(
        AuditAction.API_TOKEN_ISSUED,
        actor=actor,
        target=user,
        extra={"name": token.name, "token_id": token.pk, "role": user.role},
    )
    return value


@transaction.atomic
def issue_core_system_token(core_system: str, name: str, *, actor: User | None) -> str:
    """A new pull-API (方式3) token for one core system; its clear value is returned once."""
    token, value = ApiToken.issue_for_core_system(core_system, name)
    record(
        AuditAction.CORE_SYSTEM_TOKEN_ISSUED,
        actor=actor,
        target_type="core_system",
        target_id=core_system,
        extra={"name": token.name, "token_id": token.pk},
    )
    return value
