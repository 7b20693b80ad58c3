from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madoguchi.applications.models import Application


class LetterKind(models.TextChoices):
    RECEIPT = "receipt", _("受理通知")
    CORRECTION = "correction", _("補正依頼通知")
    REJECTION = "rejection", _("却下通知")


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

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="one_letter_per_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=LetterKind.values), name="letter_kind_known"
            ),
        ]
