from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.lib.text import normalize_for_match
from madoguchi.procedures.models import Procedure
from madoguchi.residents.crypto import SealedField
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ROUTED_DECISIONS,
    Channel,
    DecisionState,
    Identification,
    Settlement,
    Status,
    StepState,
    Submitter,
)

from .queries import ApplicationQuerySet
from .sealing import package_bytes, unseal


class Application(models.Model):
    """One application, pinned to its procedure version: received from the portal, or
    filed by staff at the counter (書かない窓口) or from a paper form that came by mail."""

    receipt_number = models.CharField(_("受付番号"), max_length=64, unique=True)
    procedure = models.ForeignKey(Procedure, verbose_name=_("手続"), on_delete=models.PROTECT)
    status = models.CharField(
        _("ステータス"), max_length=30, choices=Status.choices, default=Status.RECEIVED
    )
    submitted_at = models.DateTimeField(_("申請日時"))
    received_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("ステータス変更日時"))
    submitter = models.CharField(_("申請者区分"), max_length=10, choices=Submitter.choices)
    municipality_code = models.CharField(_("地方公共団体コード"), max_length=6)
    # 個人番号 items hold the mask here; their values are in form_secrets (sealing.py).
    form = models.JSONField(_("申請内容"))
    form_secrets = SealedField()
    form_errors = models.JSONField(_("入力内容の不備"), default=dict, blank=True)
    # [{"name", "media_type", "sha256", "size"}]: the bytes stay in the evidence package.
    attachments = models.JSONField(_("添付ファイル"), default=list, blank=True)
    applicant_name = models.CharField(_("申請者氏名"), max_length=100, blank=True)
    applicant_kana = models.CharField(_("申請者カナ"), max_length=100, blank=True)
    # From the form (the applicant.birth_date field), for the list; None when not a date.
    applicant_birth_date = models.DateField(_("申請者生年月日"), null=True, blank=True)
    resident = models.ForeignKey(
        Resident, verbose_name=_("住民"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Whose certificate signed: the applicant, or for 代理申請 the proxy (resident is then
    # the person concerned, found from the form).
    signer = models.ForeignKey(
        Resident,
        verbose_name=_("署名者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_applications",
    )
    identification = models.CharField(_("本人特定"), max_length=30, choices=Identification.choices)
    identification_notes = models.JSONField(default=list, blank=True)
    # Set when the retention period ended and the personal data was deleted.
    purged_at = models.DateTimeField(_("保存期間経過による削除日時"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_applications",
    )
    # 処理期限: the day of receipt plus the procedure's 標準処理日数 (calendar days).
    due_date = models.DateField(_("処理期限"))
    # Search keys: name and kana folded for width, spaces, kana and old forms, so that a
    # prefix search finds 髙橋 from たかはし or ﾀｶﾊｼ (lib.text.normalize_for_match).
    name_key = models.CharField(max_length=100, blank=True, default="")
    kana_key = models.CharField(max_length=100, blank=True, default="")
    # A 補正 answer received on its own (its returned application was unknown or no longer
    # waiting): the receipt number it names.
    correction_of = models.CharField(_("補正の対象"), max_length=64, blank=True, default="")
    channel = models.CharField(
        _("受付経路"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    # Counter and mail: the member of staff who filed it (online ones are filed by no one).
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受付職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Counter and mail: when the 申請書 signed by the resident on paper was received.
    paper_signed_at = models.DateTimeField(_("署名済申請書の受領日時"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="application_status_known"
            ),
            models.CheckConstraint(
                condition=Q(identification__in=Identification.values),
                name="application_identification_known",
            ),
            models.CheckConstraint(
                condition=Q(identification=Identification.IDENTIFIED, resident__isnull=False)
                | ~Q(identification=Identification.IDENTIFIED)
                | Q(purged_at__isnull=False),
                name="identified_has_resident",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="application_channel_known"
            ),
        ]
        indexes = [
            # The inbox pages by (received_at, id) from any of these starting points.
            models.Index(fields=["-received_at", "-id"], name="application_inbox"),
            models.Index(fields=["status", "-received_at", "-id"], name="application_by_status"),
            models.Index(fields=["procedure", "status"]),
            models.Index(fields=["channel", "-received_at", "-id"], name="application_by_channel"),
            models.Index(fields=["assignee", "-received_at"], name="application_by_assignee"),
            # Open applications by deadline: the 期限超過 list, most overdue first.
            models.Index(
                fields=["due_date", "id"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="application_open_due",
            ),
            # Closed ones by the day they closed: the daily counts of the insights.
            models.Index(
                fields=["status_changed_at"],
                condition=Q(status__in=sorted(CLOSED_STATUSES)),
                name="application_closed_at",
            ),
            models.Index(
                fields=["name_key"], opclasses=["varchar_pattern_ops"], name="application_name_key"
            ),
            models.Index(
                fields=["kana_key"], opclasses=["varchar_pattern_ops"], name="application_kana_key"
            ),
        ]
        verbose_name = _("申請")
        verbose_name_plural = _("申請")

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def has_form_errors(self) -> bool:
        return bool(self.form_errors)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()

    @property
    def audit_target(self) -> tuple[str, str]:
        return "application", self.receipt_number

    def set_search_keys(self) -> None:
        self.name_key = normalize_for_match(self.applicant_name)[:100]
        self.kana_key = normalize_for_match(self.applicant_kana)[:100]

    def form_with_my_numbers(self) -> dict[str, str]:
        """The form with its 個人番号 in clear: for the core systems, or an audited reveal."""
        return unseal(self.form, self.form_secrets)


# The kept package's columns: deferred wherever only the evidence's findings are shown.
PACKAGE_COLUMNS = ("package", "package_sealed")


class Evidence(models.Model):
    """The package exactly as received, and what its verification found."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT)
    file_name = models.CharField(max_length=255)
    # As received; a package of a procedure that asks for 個人番号 is kept only encrypted,
    # in package_sealed (the hash is of the bytes as received either way).
    package = models.BinaryField()
    package_sealed = SealedField()
    package_sha256 = models.CharField(_("パッケージSHA-256"), max_length=64, db_index=True)
    signer_certificate_pem = models.TextField()
    signer_serial = models.CharField(_("証明書シリアル番号"), max_length=64)
    signer_basic_four = models.JSONField(_("証明書の基本4情報"), default=dict)
    trust_anchor_subject = models.CharField(_("発行者"), max_length=500)
    crl_number = models.BigIntegerField(_("CRL番号"), null=True)
    crl_this_update = models.DateTimeField(_("CRL発行日時"), null=True)
    verified_at = models.DateTimeField(_("検証日時"))

    class Meta:
        indexes = [models.Index(fields=["signer_serial"])]

    @property
    def package_bytes(self) -> bytes:
        return package_bytes(self.package, self.package_sealed)


class CorrectionReply(models.Model):
    """The applicant's answer to a 補正 request (返戻), taken into the application it answers.

    The application's form becomes the answer's; the answer's package is kept here as
    evidence beside the first one, and what it replaced is kept too.
    """

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="correction_replies"
    )
    receipt_number = models.CharField(_("受付番号"), max_length=64, unique=True)
    submitted_at = models.DateTimeField(_("申請日時"))
    received_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    file_name = models.CharField(max_length=255)
    package = models.BinaryField()
    package_sealed = SealedField()
    package_sha256 = models.CharField(_("パッケージSHA-256"), max_length=64, db_index=True)
    signer_serial = models.CharField(_("証明書シリアル番号"), max_length=64)
    # Masked 個人番号, as the application's form; the answer's values in form_secrets.
    form = models.JSONField(_("補正後の申請内容"))
    form_secrets = SealedField()
    previous_form = models.JSONField(_("補正前の申請内容"))
    previous_form_secrets = SealedField()
    attachments = models.JSONField(_("添付ファイル"), default=list)
    # The procedure version the answer was filed on.
    procedure = models.ForeignKey(
        "procedures.Procedure", null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Signed by someone other than the applicant or their 代理人: replaces nothing until a
    # reviewer accepts it.
    held = models.BooleanField(_("保留中"), default=False)

    class Meta:
        ordering = ["received_at", "id"]

    @property
    def package_bytes(self) -> bytes:
        return package_bytes(self.package, self.package_sealed)

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """(field id, before, after) for each field the answer changed; a 個人番号 that
        changed is listed with both values masked, as the forms keep them."""
        before = unseal(self.previous_form, self.previous_form_secrets)
        after = unseal(self.form, self.form_secrets)
        keys = sorted(set(after) | set(before))
        return [
            (k, str(self.previous_form.get(k, "")), str(self.form.get(k, "")))
            for k in keys
            if before.get(k) != after.get(k)
        ]


class PaperDocument(models.Model):
    """A scan kept with a counter or mail application: the signed 申請書, the form that came
    by post, a document the resident brought. Listed in the application's attachments."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="paper_documents"
    )
    name = models.CharField(_("ファイル名"), max_length=255)
    media_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    # Kept only encrypted, under the 個人番号 keys (content_sealed): a mailed form or the signed
    # sheet carries the resident's 個人番号. ``content`` is left empty (rows before 0025 are
    # sealed by that migration).
    content = models.BinaryField()
    content_sealed = SealedField()
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    @property
    def content_bytes(self) -> bytes:
        return package_bytes(self.content, self.content_sealed)


class DuplicateSuspicion(models.Model):
    """重複の可能性: two applications of the same resident and procedure, the earlier one
    still open (or closed within the catalog's window). Neither may be approved until a
    clerk settles it: both valid, or one withdrawn, with a reason."""

    first = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    found_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    settlement = models.CharField(
        _("確認結果"), max_length=20, choices=Settlement.choices, blank=True
    )
    reason = models.TextField(_("理由"), blank=True)

    class Meta:
        ordering = ["found_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="duplicate_pair_ordered"
            ),
        ]

    @property
    def is_settled(self) -> bool:
        return self.settled_at is not None

    def other(self, application: Application) -> Application:
        return self.second if application.pk == self.first_id else self.first

    def blocks(self, application: Application) -> bool:
        """Whether it keeps ``application`` from being approved: unsettled, and the other
        application still alive (one rejected or withdrawn leaves nothing to settle)."""
        return not self.is_settled and self.other(application).status not in (
            Status.REJECTED,
            Status.WITHDRAWN,
        )


class PortalStatusUpdate(models.Model):
    """A status and message for the applicant, on its way to the portal through the relay.

    Written with the status change (same transaction); the worker hands it to the spool,
    the relay posts it, and it counts as sent once the relay has acknowledged it.
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT)
    status = models.CharField(_("ポータルの処理状況"), max_length=20)
    message = models.TextField(_("申請者へのメッセージ"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"], condition=Q(sent_at__isnull=True), name="portal_update_unsent"
            )
        ]


class SavedFilter(models.Model):
    """An inbox search a member of staff keeps under a name (their own, no one else's)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(_("名前"), max_length=50)
    query = models.CharField(_("条件"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name_per_user")
        ]


class ApplicationRead(models.Model):
    """That a member of staff has opened an application once: what makes it 新着 for the
    others and no longer for them. (Every view is in the audit log; this is the index.)"""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_read_at = models.DateTimeField(auto_now_add=True)
    # The latest opening: a bulk decision asks to confirm what was not opened since it
    # last changed.
    last_read_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "application"], name="read_once_per_user")
        ]


class ArrivalMail(models.TextChoices):
    IMMEDIATE = "immediate", _("届いたらすぐ")
    DAILY = "daily", _("毎日1回(朝)")


class ArrivalSubscription(models.Model):
    """A member of staff's mail about new applications of one procedure: the count and a
    link, never who applied (the mail leaves the office's network)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    procedure_id = models.SlugField(_("手続ID"), max_length=80)
    frequency = models.CharField(_("頻度"), max_length=10, choices=ArrivalMail.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # The arrivals up to this moment have been told.
    told_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "procedure_id"], name="arrival_mail_once"),
            models.CheckConstraint(
                condition=Q(frequency__in=ArrivalMail.values), name="arrival_mail_frequency"
            ),
        ]


class ApplicantText(models.Model):
    """The municipality's own wording of what the applicant reads for a status of one
    procedure (or of the 教示 of its 却下), edited on screen; the catalog's text otherwise.
    Catalog versions never change, so the municipality's words live here."""

    procedure_id = models.SlugField(_("手続ID"), max_length=80)
    # A status code, or REJECTION_NOTICE_KEY for the 教示 of a 却下.
    kind = models.CharField(_("種類"), max_length=40)
    text = models.TextField(_("文面"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["procedure_id", "kind"], name="applicant_text_once")
        ]


class ApprovalRoute(models.Model):
    """A 課's 決裁 route for one kind of decision (基幹連携へ承認, 却下, 完了): the steps after
    the drafter (起案), set on screen. Without a route the decider's own click decides."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="approval_routes"
    )
    decision = models.CharField(_("決定"), max_length=30, choices=Status.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["department", "decision"], name="one_route_a_decision")
        ]

    @classmethod
    def for_decision(cls, application: Application, to_status: str) -> ApprovalRoute | None:
        """The route an application's decision goes through, or None (decided at once)."""
        if to_status not in ROUTED_DECISIONS:
            return None
        return (
            cls.objects.filter(
                department_id=application.procedure.department_id, decision=to_status
            )
            .prefetch_related("steps")
            .first()
        )


class ApprovalRouteStep(models.Model):
    route = models.ForeignKey(ApprovalRoute, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("職"), max_length=40)  # 係長, 課長 …
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # 代決: who may decide in the approver's place (the approver reads it afterwards: 後閲).
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["route", "position"], name="route_step_once")
        ]


class Decision(models.Model):
    """A decision drafted (起案) on one application and going through its route: it takes
    effect — the status changes, the hand-over and the applicant are told — only when the
    last step approves."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    to_status = models.CharField(_("決定"), max_length=30, choices=Status.choices)
    state = models.CharField(
        _("決裁"), max_length=20, choices=DecisionState.choices, default=DecisionState.IN_PROGRESS
    )
    # To the applicant (補正・却下 and the like), as the status change would send it.
    reason = models.TextField(_("申請者へのメッセージ"), blank=True)
    proposal = models.TextField(_("伺い文"), blank=True)
    review = models.TextField(_("審査結果"), blank=True)
    # The drafter's choice: the 経過's internal memos printed in the 決裁 document.
    include_memos = models.BooleanField(_("内部メモを決裁文書に載せる"), default=False)
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-drafted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state="in_progress"),
                name="one_decision_in_progress",
            )
        ]


class DecisionStep(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("職"), max_length=40)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("状態"), max_length=20, choices=StepState.choices, default=StepState.WAITING
    )
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acted_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("意見"), blank=True)
    # 後閲: the approver read what their deputy decided.
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "position"], name="decision_step_once")
        ]


class InternalComment(models.Model):
    """A note between staff on an application (内部コメント): audited, never sent to the
    applicant; an @ユーザー名 tells that colleague (お知らせ)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("コメント"))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
