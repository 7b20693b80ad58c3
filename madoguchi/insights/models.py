from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.models import Department


class DayRow(models.Model):
    """What every daily row is about: one day of one procedure and channel."""

    day = models.DateField(_("日付"))
    procedure_id = models.SlugField(_("手続ID"), max_length=80)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("受付経路"), max_length=10)

    class Meta:
        abstract = True


class DailyCount(DayRow):
    """One day of one procedure and channel, counted by the worker from the applications
    and the audit log (insights/aggregate.py): what the dashboard charts read, so that a
    chart over years of history sums a few thousand rows instead of scanning millions."""

    received = models.PositiveIntegerField(_("受付"), default=0)
    completed = models.PositiveIntegerField(_("完了"), default=0)
    rejected = models.PositiveIntegerField(_("却下"), default=0)
    withdrawn = models.PositiveIntegerField(_("取下げ"), default=0)
    corrections = models.PositiveIntegerField(_("補正依頼"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure_id", "channel"], name="daily_count_once"
            )
        ]
        indexes = [models.Index(fields=["department", "day"], name="daily_count_department")]


class DailyOutcome(DayRow):
    """Of the applications received that day, how many had each identification outcome
    when the day was counted."""

    identification = models.CharField(max_length=30)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure_id", "channel", "identification"],
                name="daily_outcome_once",
            )
        ]
        indexes = [models.Index(fields=["department", "day"], name="daily_outcome_department")]


class DailyCompletion(DayRow):
    """Of the applications completed that day, how many took each number of days from 到達."""

    days = models.PositiveIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure_id", "channel", "days"], name="daily_completion_once"
            )
        ]
        indexes = [models.Index(fields=["department", "day"], name="daily_completion_department")]


class OpenSnapshot(models.Model):
    """The open applications of one department as the worker last counted them (every few
    minutes): by status, by days since 受付, by assignee, and how many are past their 処理期限.
    A snapshot, so the dashboard reads one row however many are open."""

    department = models.OneToOneField(Department, on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField()
    by_status = models.JSONField(default=dict)
    by_age = models.JSONField(default=list)  # [[label, n], …] in the order of AGE_BANDS
    by_assignee = models.JSONField(default=list)  # [[name, n], …], most first
    overdue = models.PositiveIntegerField(default=0)


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


class MunicipalityCounts(models.Model):
    """共同利用: one municipality's daily counts as its own installation exported them
    (`madoguchi insights export-counts`, gathered by `madoguchi fleet counts`). The
    prefecture's view is built from these files, never by a query across databases."""

    code = models.CharField(_("団体コード"), max_length=6, unique=True)
    name = models.CharField(_("団体名"), max_length=40)
    counted_through = models.DateField(_("集計済みの日"), null=True)
    exported_at = models.DateTimeField(_("書き出し日時"))
    loaded_at = models.DateTimeField(_("読込日時"), auto_now=True)
    sha256 = models.CharField(max_length=64)
    procedure_names = models.JSONField(default=dict)  # as the municipality names them

    class Meta:
        ordering = ["code"]


class MunicipalityDay(models.Model):
    """One day of one procedure and channel in one municipality (its DailyCount, summed
    over its departments, which the prefecture does not know)."""

    municipality = models.ForeignKey(MunicipalityCounts, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    procedure_id = models.SlugField(max_length=80)
    channel = models.CharField(max_length=10)
    received = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "day", "procedure_id", "channel"],
                name="municipality_day_once",
            )
        ]


class MunicipalityCompletion(models.Model):
    """Of one municipality's applications completed that day, how many took each number of
    days from 到達 (its DailyCompletion)."""

    municipality = models.ForeignKey(MunicipalityCounts, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    procedure_id = models.SlugField(max_length=80)
    days = models.PositiveIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["municipality", "day"], name="municipality_completion_day")]
