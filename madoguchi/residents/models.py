from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madoguchi.lib import text
from madoguchi.vocabulary import Sex

from .crypto import SealedField


class Resident(models.Model):
    """What identification needs of a 住基 record; the registry itself stays in 住基."""

    resident_code = models.CharField(_("住民票コード"), max_length=11, unique=True)
    atena_number = models.CharField(_("宛名番号"), max_length=20, unique=True)
    name = models.CharField(_("氏名"), max_length=100)
    name_kana = models.CharField(_("氏名(カナ)"), max_length=100, blank=True)
    birth_date = models.DateField(_("生年月日"))
    sex = models.CharField(_("性別"), max_length=1, choices=Sex.choices)
    address = models.CharField(_("住所"), max_length=200)
    # Before the last 氏の変更 or 住所異動, as the registry exports them (docs/registry-links.md).
    previous_name = models.CharField(_("旧氏名"), max_length=100, blank=True, default="")
    previous_address = models.CharField(_("前住所"), max_length=200, blank=True, default="")
    # The 世帯, when the registry file gives it (docs/registry-links.md): the counter prefills
    # a form's children (続柄 子 of the same 世帯番号) and the postal code.
    household_number = models.CharField(_("世帯番号"), max_length=20, blank=True, default="")
    relationship = models.CharField(_("続柄"), max_length=20, blank=True, default="")
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True, default="")
    # 個人番号, encrypted (residents.crypto); read only through residents.actions.
    my_number_encrypted = SealedField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("住民")
        verbose_name_plural = _("住民")

    def __str__(self) -> str:
        return self.name

    def household_children(self) -> list[Resident]:
        """The children (続柄 子) of this resident's 世帯, eldest first."""
        if not self.household_number:
            return []
        return list(
            Resident.objects.filter(household_number=self.household_number, relationship="子")
            .exclude(pk=self.pk)
            .order_by("birth_date", "id")
        )


class SerialLink(models.Model):
    """番号紐付情報: a signing certificate's serial number → resident, for a period."""

    serial = models.CharField(_("シリアル番号"), max_length=64)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="serial_links")
    valid_from = models.DateTimeField(_("有効開始"))
    valid_to = models.DateTimeField(_("有効終了"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["serial", "valid_from"], name="serial_link_period"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="serial_link_period_order",
            ),
        ]
        indexes = [models.Index(fields=["serial"])]
        verbose_name = _("番号紐付情報")
        verbose_name_plural = _("番号紐付情報")


# What a registry 外字 with no character of its own is loaded as (げた): a clerk compares it.
GETA = text.GETA


class RegistryGaiji(models.Model):
    """A 外字 of the 住基 export (a code in the private-use area, CP932 0xF040–0xF9FC) → the
    character it is, or 〓 (no character of its own: loaded, and left for a clerk to compare)."""

    code = models.PositiveIntegerField(_("外字のコード"), unique=True)
    replacement = models.CharField(_("置換"), max_length=1)
    note = models.CharField(_("備考"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("住基の外字")
        verbose_name_plural = _("住基の外字")


class HeldRow(models.Model):
    """A row of a 番号紐付情報 file held for a 外字 the table does not know: the rest of the file
    loaded; this row loads once the table has every code (residents.actions.load_held_rows).
    The row is kept sealed (it may carry a 個人番号)."""

    file_name = models.CharField(_("ファイル"), max_length=255)
    line = models.PositiveIntegerField(_("行"))
    serial = models.CharField(_("シリアル番号"), max_length=64)
    atena_number = models.CharField(_("宛名番号"), max_length=20, blank=True)
    codes = models.JSONField(_("未登録の外字"), default=list)
    row = SealedField()
    held_at = models.DateTimeField(_("保留日時"), auto_now_add=True)
    loaded_at = models.DateTimeField(_("読込日時"), null=True, blank=True)

    class Meta:
        ordering = ["held_at", "line"]
        verbose_name = _("保留中の行")
        verbose_name_plural = _("保留中の行")
