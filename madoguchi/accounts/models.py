from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.vocabulary import Role


class Department(models.Model):
    """A 課 (section) of the municipality; procedures and staff belong to one."""

    code = models.SlugField(_("所属コード"), max_length=40, unique=True)
    name = models.CharField(_("所属名"), max_length=100)
    # 組織改正: a 課 merged into another keeps its row (counts and history name it) but
    # takes no staff and no procedures.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("統合先"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("所属")
        verbose_name_plural = _("所属")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Sees the applications of their own department only."""

    department = models.ForeignKey(
        Department, verbose_name=_("所属"), null=True, blank=True, on_delete=models.PROTECT
    )
    role = models.CharField(
        _("役割"), max_length=20, choices=Role.choices, default=Role.COUNTER_CLERK
    )
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    display_name_kana = models.CharField(_("表示名(カナ)"), max_length=100, blank=True)
    # Dates on screen: 和暦 (the default, as staff read them) or 西暦.
    era_dates = models.BooleanField(_("日付を和暦で表示"), default=True)
    # 総合窓口: the other 課 whose procedures this member files at the counter (one visit for
    # every procedure of a life event). Filing only: reading stays within their own 課.
    files_for = models.ManyToManyField(
        Department, verbose_name=_("受付できるほかの課"), blank=True, related_name="counter_staff"
    )
    # The inbox's columns in the order this member chose (applications/views/columns.py);
    # None: every column, in the house order.
    inbox_columns = models.JSONField(_("受付一覧の列"), null=True, blank=True, default=None)
    # A password an administrator set (a new account, a reset): changed at the next sign-in.
    must_change_password = models.BooleanField(default=False, editable=False)
    # The earliest 発令日 of this member's pending 人事異動 (StaffMove), kept on the row the
    # request loads anyway, so that no page pays a query to learn that none is due.
    move_due = models.DateField(null=True, blank=True, editable=False)
    # TOTP second factor (RFC 6238); the last accepted time step refuses a replayed code.
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_last_counter = models.BigIntegerField(default=0, editable=False)
    # Wrong codes in a row, counted here (not per session, which a new login renews); at
    # the limit the second factor is locked until totp_locked_until.
    totp_failures = models.PositiveIntegerField(default=0, editable=False)
    totp_locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Raised by "logout everywhere": sessions begun under an older value are ended.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def audit_target(self) -> tuple[str, str]:
        return "user", self.username[:64]

    @property
    def sees_all_departments(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def needs_second_factor(self) -> bool:
        """Roles that may read 個人番号 sign in with a second factor."""
        return self.may_read_my_number

    @property
    def may_read_audit_log(self) -> bool:
        return self.is_active and self.role in (Role.ADMINISTRATOR, Role.MANAGER)

    def may_edit_applicant_texts(self, department_id: int | None) -> bool:
        """The wording applicants read: the administrator, or the department's manager."""
        if not self.is_active:
            return False
        return self.role == Role.ADMINISTRATOR or (
            self.role == Role.MANAGER and department_id == self.department_id
        )

    @property
    def may_edit_gaiji(self) -> bool:
        """外字 tables serve every department's hand-over: the administrator and managers."""
        return self.is_active and self.role in (Role.ADMINISTRATOR, Role.MANAGER)

    @property
    def may_handle_quarantine(self) -> bool:
        """Quarantined packages belong to no department yet: the administrator handles them."""
        return self.is_active and self.role == Role.ADMINISTRATOR

    @property
    def may_manage_staff(self) -> bool:
        """Resetting a colleague's second factor: the administrator's (who decides nothing)."""
        return self.is_active and self.role == Role.ADMINISTRATOR

    @property
    def may_edit_documents(self) -> bool:
        """The municipality's words on letters and print views: the administrator's."""
        return self.is_active and self.role == Role.ADMINISTRATOR

    @property
    def may_read_insights(self) -> bool:
        """業務の見える化: the department's manager (their department), the administrator
        (every department). Counts only, but per-assignee figures are about staff."""
        return self.is_active and self.role in (Role.ADMINISTRATOR, Role.MANAGER)

    @property
    def may_file_applications(self) -> bool:
        """窓口・郵送: staff of a department file its procedures for residents (the
        administrator configures and decides nothing, so files nothing either)."""
        return self.is_active and self.department_id is not None and self.role != Role.ADMINISTRATOR

    def may_file_for(self, department_id: int) -> bool:
        """Files this 課's procedures at the counter: their own 課's, and at a 総合窓口 the
        課 they were given (files_for, read once per request)."""
        if not self.may_file_applications:
            return False
        if department_id == self.department_id:
            return True
        if not hasattr(self, "_files_for"):
            self._files_for = set(self.files_for.values_list("pk", flat=True))
        return department_id in self._files_for

    @property
    def may_resolve_identification(self) -> bool:
        """Who may settle 要確認 and 特定不可 by hand (the manual-match screen)."""
        return self.is_active and self.role == Role.REVIEWER

    @property
    def may_approve(self) -> bool:
        """May stand on a 決裁 route (承認・代決・後閲): the 審査担当 and the 所属長."""
        return self.role in (Role.REVIEWER, Role.MANAGER)

    @property
    def may_set_approval_routes(self) -> bool:
        """The administrator (any 課) and a 所属長 (their own) set 決裁 routes."""
        return self.role in (Role.ADMINISTRATOR, Role.MANAGER)

    @property
    def may_read_my_number(self) -> bool:
        """個人番号 in clear only for the reviewers who check it against the core system."""
        return self.is_active and self.role == Role.REVIEWER


class StaffMove(models.Model):
    """A 人事異動 entered ahead of its 発令日: the member keeps the old 課 and role until the
    day, and takes the new ones on it (applied by the first request or worker pass of the day)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="moves")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    effective_from = models.DateField(_("発令日"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["effective_from", "pk"]
        indexes = [
            models.Index(
                fields=["effective_from"],
                name="staffmove_pending",
                condition=models.Q(applied_at__isnull=True),
            )
        ]


class LoginAttempt(models.Model):
    """Every login attempt, for lockout after repeated failures."""

    username = models.CharField(max_length=150)
    succeeded = models.BooleanField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["username", "-at"])]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """One token model for the whole API, scoped to one member of staff (the staff API,
    with their department and role) or to one core system (the 方式3 pull API, that core
    system's records only). Only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    core_system = models.CharField(_("基幹システム"), max_length=40, blank=True)
    name = models.CharField(_("用途"), max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_apitoken"  # created by the api app before the model moved here
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False) & models.Q(core_system=""))
                | (models.Q(user__isnull=True) & ~models.Q(core_system="")),
                name="token_for_one_scope",
            )
        ]

    @classmethod
    def issue(cls, user: models.Model, name: str) -> tuple[ApiToken, str]:
        """A new staff token; the clear value is returned once and never stored."""
        token = "mdg_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, token_sha256=hash_token(token)), token

    @classmethod
    def issue_for_core_system(cls, core_system: str, name: str) -> tuple[ApiToken, str]:
        """A new pull-API token for one core system; the clear value is returned once."""
        token = "mdgc_" + secrets.token_urlsafe(32)
        row = cls.objects.create(core_system=core_system, name=name, token_sha256=hash_token(token))
        return row, token

    @classmethod
    def from_request(cls, request: HttpRequest) -> ApiToken | None:
        """The live token of an ``Authorization: Bearer`` header, noted as used (at most
        once a minute: a write on every call serialised a vendor's polling); else None."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = (
            cls.objects.select_related("user")
            .filter(token_sha256=hash_token(header[7:].strip()), revoked_at__isnull=True)
            .first()
        )
        now = timezone.now()
        if token is not None and (
            token.last_used_at is None or now - token.last_used_at >= dt.timedelta(minutes=1)
        ):
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token
