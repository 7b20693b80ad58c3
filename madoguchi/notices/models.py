from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madoguchi.applications.models import Application
from madoguchi.jobs import LeasedJob


class LetterKind(models.TextChoices):
    RECEIPT = "receipt", _("受理通知")
    CORRECTION = "correction", _("補正依頼通知")
    REJECTION = "rejection", _("却下通知")
    # A notice in the department's own words to the applicants of a selection (a change of
    # schedule, documents to bring…); any number of them per application.
    GENERAL = "general", _("お知らせ")


class AddressRule(models.TextChoices):
    """Where a kind of letter is sent."""

    CURRENT = "current", _("現住所(住民記録)")
    FORMER = "former", _("前住所・旧氏名(住所異動・氏の変更の前。なければ現住所)")


# What a letter's body may name; each is replaced by the application's own value.
TOKENS = ("{到達日}", "{手続}", "{受付番号}")
DEFAULT_TEXTS = {
    LetterKind.RECEIPT: "{到達日}に到達した「{手続}」の申請(受付番号 {受付番号})を"
    "受理しましたので、通知します。",
    LetterKind.CORRECTION: "{到達日}に到達した「{手続}」の申請(受付番号 {受付番号})について、"
    "次の点を補正してください。",
    LetterKind.REJECTION: "{到達日}に到達した「{手続}」の申請(受付番号 {受付番号})は、"
    "次の理由により却下しましたので、通知します。",
    LetterKind.GENERAL: "{到達日}に到達した「{手続}」の申請(受付番号 {受付番号})について、"
    "お知らせします。",
}
DEFAULT_KAIRAN = "起案者,係員,係長,課長補佐,課長,決裁区分,施行"


class DocumentSettings(models.Model):
    """The municipality's words on its paper, edited on a screen (/notices/settings/): its
    name, the sender and 公印, the contact, the 回議欄, each kind of letter's wording and
    address rule. Every save is a new version; a letter keeps the version it was printed with,
    as an application keeps its catalog version."""

    version = models.PositiveIntegerField(_("版"), unique=True)
    municipality = models.CharField(_("自治体名"), max_length=50, blank=True)
    sender = models.CharField(_("差出人"), max_length=100, blank=True)
    seal = models.CharField(_("公印の表示"), max_length=50, default="(公印省略)")
    contact = models.TextField(_("問い合わせ先"), blank=True)
    kairan = models.CharField(_("回議欄"), max_length=200, default=DEFAULT_KAIRAN)
    texts = models.JSONField(default=dict)  # {kind: body}
    address_rules = models.JSONField(default=dict)  # {kind: AddressRule}
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]

    @classmethod
    def current(cls) -> DocumentSettings:
        """The latest version, or the defaults (version 0, not saved) before any."""
        return cls.objects.order_by("-version").first() or cls(version=0)

    @property
    def municipality_name(self) -> str:
        return self.municipality or settings.MUNICIPALITY_NAME

    @property
    def sender_name(self) -> str:
        return self.sender or (f"{self.municipality_name}長" if self.municipality_name else "")

    @property
    def kairan_roles(self) -> list[str]:
        return [r.strip() for r in self.kairan.split(",") if r.strip()]

    def text_for(self, kind: str) -> str:
        return str(self.texts.get(kind) or DEFAULT_TEXTS[LetterKind(kind)])

    def rule_for(self, kind: str) -> str:
        return str(self.address_rules.get(kind) or AddressRule.CURRENT)


class Letter(models.Model):
    """A letter sent by post about an application: to whom and where it went (as the 発送簿
    lists it), its page as printed, and whether it came back (返戻)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("種類"), max_length=20, choices=LetterKind.choices)
    batch = models.CharField(_("発送の回"), max_length=40)
    recipient_name = models.CharField(_("宛名"), max_length=100)
    postal_code = models.CharField(_("郵便番号"), max_length=10, blank=True)
    address = models.CharField(_("送付先"), max_length=300)
    # Where the address came from: the 住民記録 (identified) or the signed form.
    address_source = models.CharField(_("送付先の出典"), max_length=20)
    sent_on = models.DateField(_("発送日"))
    pdf = models.BinaryField(_("通知書(PDF)"))
    returned_on = models.DateField(_("返戻日"), null=True, blank=True)
    returned_reason = models.CharField(_("返戻の理由"), max_length=200, blank=True)
    # The DocumentSettings version it was printed with (0: the defaults).
    settings_version = models.PositiveIntegerField(_("帳票設定の版"), default=0)

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=~Q(kind="general"),
                name="one_letter_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LetterKind.values), name="letter_kind_known"
            ),
        ]


class ProgressRun(LeasedJob):
    """A job asked for on screen, with its progress for the page that polls it."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else (100 if self.state == "done" else 0)


class LetterRun(ProgressRun):
    """A batch of letters asked for on screen and made by the worker, with its progress:
    the print-ready PDF and the 発送簿 are kept in the data folder for download."""

    kind = models.CharField(_("種類"), max_length=20, choices=LetterKind.choices)
    day = models.DateField(_("対象の日"))
    procedure_id = models.CharField(_("手続ID"), max_length=80, blank=True)
    # お知らせ: what it says, below the kind's wording.
    message = models.TextField(_("お知らせの本文"), blank=True)
    # Chosen in the inbox (its filter at the time): these applications, not the day's.
    receipt_numbers = models.JSONField(null=True, blank=True)
    # The department whose applications it covers (None: every one, for the administrator).
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    batch = models.CharField(_("発送の回"), max_length=40, blank=True)
    files = models.JSONField(default=list)  # names in the run's folder

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            # What a worker may claim: waiting, or running under a lease that may have run out.
            models.Index(
                fields=["id"],
                condition=Q(state__in=["waiting", "running"]),
                name="letter_run_claimable",
            )
        ]


class PrintRun(ProgressRun):
    """A day's received applications as one PDF (each on its own pages), asked for on
    screen and made by the worker with its progress: thirty applications take longer than a
    page should wait. The PDF is kept in the data folder for the one who asked."""

    day = models.DateField(_("受付日"))
    procedure_id = models.CharField(_("手続ID"), max_length=80, blank=True)
    file_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(state__in=["waiting", "running"]),
                name="print_run_claimable",
            )
        ]
