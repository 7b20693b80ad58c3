from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import AuditAction

GENESIS_HASH = "0" * 64


class ChainHead(models.Model):
    """One row whose lock serialises appends, so the chain never forks under concurrency."""

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_seq = models.BigIntegerField(default=0)


class AuditEvent(models.Model):
    """Append-only and hash-chained: each record commits to the one before it."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(max_length=150)
    action = models.PositiveIntegerField()
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    extra = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Which of AUDIT_KEYS sealed this event (see key_id).
    key_id = models.CharField(max_length=16, default="")

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "seq"]),
            # The 経過 of one application by kind of event (applications/timeline.py).
            models.Index(
                fields=["target_type", "target_id", "action", "seq"], name="audit_target_action"
            ),
            # Events of one kind over a period: the audit screen's filter, the daily counts.
            models.Index(fields=["action", "at"], name="audit_action_at"),
        ]
        verbose_name = _("監査記録")
        verbose_name_plural = _("監査記録")

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:
            return str(self.action)

    def compute_hash(self, key: bytes) -> str:
        return chain_hash(key, self.prev_hash, self.payload())

    def payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "extra": self.extra,
        }


def key_id(key: bytes) -> str:
    """A short public name of an audit key: the start of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def audit_keys() -> dict[str, bytes]:
    """The configured audit keys by id; the first is the one that seals new events."""
    return {key_id(k.encode()): k.encode() for k in settings.AUDIT_KEYS}


def chain_hash(key: bytes, prev_hash: str, payload: dict[str, Any]) -> str:
    """HMAC-SHA256 over the previous hash and the event: without the key (which is not in
    the database) nobody can re-chain the log after deleting or changing an event."""
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, (prev_hash + canonical).encode("utf-8"), hashlib.sha256).hexdigest()
