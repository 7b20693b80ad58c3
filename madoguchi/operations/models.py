from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """A worker's last pass (one row per process): what `madoguchi status` and the 稼働状況
    screen read. The relay, which has no database, beats into the spool instead."""

    component = models.CharField(max_length=20)
    instance = models.CharField(max_length=120)  # host:pid
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    backlog = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["component", "instance"], name="heartbeat_instance")
        ]
