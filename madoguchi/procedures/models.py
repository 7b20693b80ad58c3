from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.models import Department
from madoguchi.lib.office_calendar import BUSINESS


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Versions in their natural order: 2026.10 after 2026.9."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))


class Procedure(models.Model):
    """One version of a catalog entry. A version never changes once loaded."""

    procedure_id = models.SlugField(_("手続ID"), max_length=80)
    version = models.CharField(_("版"), max_length=40)
    name = models.CharField(_("手続名"), max_length=200)
    legal_basis = models.CharField(_("根拠法令"), max_length=200, blank=True)
    department = models.ForeignKey(Department, verbose_name=_("所属"), on_delete=models.PROTECT)
    core_system = models.CharField(_("基幹システム"), max_length=40)
    processing_days = models.PositiveIntegerField(_("標準処理日数"))
    definition = models.JSONField()
    content_sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=500)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["procedure_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["procedure_id", "version"], name="procedure_version"),
        ]
        verbose_name = _("手続")
        verbose_name_plural = _("手続")

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    @classmethod
    def current(cls, procedure_ids: list[str] | None = None) -> dict[str, Procedure]:
        """The newest loaded version of each procedure (of those named), by id: the one
        staff file a new application on. Chosen from the versions' names, so that only the
        chosen definitions are read (every version is kept, and their number only grows)."""
        rows = cls.objects.all()
        if procedure_ids is not None:
            rows = rows.filter(procedure_id__in=procedure_ids)
        newest: dict[str, tuple[tuple[tuple[int, str], ...], int]] = {}
        for pk, procedure_id, version in rows.values_list("pk", "procedure_id", "version"):
            key = version_key(version)
            if procedure_id not in newest or key > newest[procedure_id][0]:
                newest[procedure_id] = (key, pk)
        chosen = cls.objects.select_related("department").filter(
            pk__in=[pk for _key, pk in newest.values()]
        )
        return {row.procedure_id: row for row in chosen}

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.definition["fields"])

    @property
    def export_columns(self) -> list[dict[str, str]]:
        return list(self.definition["export"]["columns"])

    @property
    def processing_unit(self) -> str:
        """標準処理期間 in 開庁日 (the default) or 暦日, as the catalog entry says."""
        return str(self.definition.get("processing_days_unit", BUSINESS))

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.definition.get("attachments", []))

    @property
    def status_messages(self) -> dict[str, str]:
        return dict(self.definition.get("status_messages", {}))

    def field_for(self, semantic: str) -> str | None:
        for field in self.fields:
            if field.get("semantic") == semantic:
                return str(field["id"])
        return None
