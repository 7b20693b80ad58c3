from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.models import Department


class DailyCount(models.Model):
    """One day of one procedure and channel, counted by the worker from the applications
    and the audit log (insights/aggregate.py): what the dashboard charts read, so that a
    chart over years of history sums a few thousand rows instead of scanning millions."""

    day = models.DateField(_("日付"))
    procedure_id = models.SlugField(_("手続ID"), max_length=80)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("受付経路"), max_length=10)
    received = models.PositiveIntegerField(_("受付"), default=0)
    completed = models.PositiveIntegerField(_("完了"), default=0)
    rejected = models.PositiveIntegerField(_("却下"), default=0)
    withdrawn = models.PositiveIntegerField(_("取下げ"), default=0)
    corrections = models.PositiveIntegerField(_("補正依頼"), default=0)
    # Of the applications received that day, by identification outcome when counted.
    identification = models.JSONField(default=dict)
    # Of the applications completed that day: {days from 到達 to 完了: how many}.
    completion_days = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure_id", "channel"], name="daily_count_once"
            )
        ]
        indexes = [models.Index(fields=["department", "day"], name="daily_count_department")]


class RefreshState(models.Model):
    """How far the daily counts are complete (one row)."""

    counted_through = models.DateField(null=True)
    refreshed_at = models.DateTimeField(null=True)


class CardIssuance(models.Model):
    """One row of the マイナンバーカード交付状況 table at one 基準日, with the rate as printed
    and as recomputed from the counts."""

    base_date = models.DateField(_("基準日"))
    kind = models.CharField(_("区分"), max_length=40, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    municipality = models.CharField(_("市区町村"), max_length=40, blank=True)
    population = models.BigIntegerField(_("人口"))
    issued = models.BigIntegerField(_("交付枚数"))
    printed_rate = models.DecimalField(_("交付率(公表値)"), max_digits=7, decimal_places=3)
    computed_rate = models.DecimalField(_("交付率(再計算)"), max_digits=7, decimal_places=3)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["base_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["base_date", "kind", "prefecture", "municipality"],
                name="card_issuance_row_once",
            )
        ]
