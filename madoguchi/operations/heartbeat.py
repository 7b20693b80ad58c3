"""Heartbeats: each worker records its last pass, the relay its own in the spool, and
`madoguchi status` (or the 稼働状況 screen) says whether every part is alive — what a
monitor such as Zabbix or Nagios calls, exiting 1 when a part is stale or failing."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from madoguchi.jobs import JobState
from madoguchi.linking.models import Delivery
from madoguchi.minutes.models import AudioPiece
from madoguchi.notices.models import LetterRun
from madoguchi.relay.spool import Spool

from .models import Heartbeat

# Rows of workers gone for longer than this are no longer reported.
FORGOTTEN_AFTER = dt.timedelta(days=1)


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_backlog(spool: Spool) -> dict[str, int]:
    return {
        "spool": spool.waiting()["incoming"],
        "deliveries": Delivery.objects.filter(state="pending").count(),
        "letter_runs": LetterRun.objects.filter(state="waiting").count(),
    }


def record_worker_beat(spool: Spool, started_at: dt.datetime, failed: list[str]) -> None:
    now = timezone.now()
    values: dict[str, object] = {
        "started_at": started_at,
        "beat_at": now,
        "backlog": worker_backlog(spool),
    }
    if failed:
        values.update(last_error="\n".join(failed), last_error_at=now)
    else:
        values.update(last_error="")
    Heartbeat.objects.update_or_create(
        component="worker", instance=instance_name(), defaults=values
    )


@dataclass
class PartStatus:
    part: str
    instance: str
    ok: bool
    state: str  # 正常 · 停止 · エラー · 記録なし
    beat_at: str | None = None
    detail: str = ""
    backlog: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The part as the command and the 稼働状況 screen name it."""
        return PART_LABELS.get(self.part, self.part)

    @property
    def waiting(self) -> list[tuple[str, int]]:
        """The backlog by name (BACKLOG_LABELS), in its order."""
        return [(BACKLOG_LABELS.get(key, key), n) for key, n in self.backlog.items()]


def _age(at: dt.datetime) -> float:
    return (timezone.now() - at).total_seconds()


# The parts, as the command and the 稼働状況 screen name them.
PART_LABELS = {
    "database": "データベース",
    "worker": "ワーカー",
    "relay": "連携サーバ",
    "minutes": "会議録の文字起こし",
}
# What waits, as the 稼働状況 screen and `madoguchi status` name it (its JSON keeps the keys).
BACKLOG_LABELS = {
    "spool": "取込待ちの申請データ",
    "deliveries": "基幹連携の送付待ち",
    "letter_runs": "通知書の作成待ち",
    "outbox": "ポータルへの送信待ち",
    "audio": "文字起こし待ちの音声",
}


def database_problem() -> str | None:
    """Why the database does not answer (its first line), or None when it does."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def report(spool: Spool) -> list[PartStatus]:
    stale = settings.HEARTBEAT_STALE_SECONDS
    parts: list[PartStatus] = []
    problem = database_problem()
    if problem is not None:
        parts.append(PartStatus("database", connection.vendor, False, "エラー", detail=problem))
        return parts
    parts.append(PartStatus("database", connection.vendor, True, "正常"))
    workers = Heartbeat.objects.filter(
        component="worker", beat_at__gte=timezone.now() - FORGOTTEN_AFTER
    ).order_by("-beat_at")
    for beat in workers:
        alive = _age(beat.beat_at) <= stale
        parts.append(
            PartStatus(
                "worker",
                beat.instance,
                alive and not beat.last_error,
                "エラー" if alive and beat.last_error else ("正常" if alive else "停止"),
                timezone.localtime(beat.beat_at).isoformat(timespec="seconds"),
                beat.last_error or ("" if alive else f"{stale} 秒以上、処理の記録がありません"),
                dict(beat.backlog),
            )
        )
    if not workers:
        parts.append(
            PartStatus("worker", "", False, "記録なし", detail="ワーカーの記録がありません")
        )
    relay = spool.heartbeat("relay")
    if relay is None:
        parts.append(
            PartStatus("relay", "", False, "記録なし", detail="連携サーバの記録がありません")
        )
    else:
        beat_at = dt.datetime.fromtimestamp(float(str(relay["beat_at"])), tz=dt.UTC)
        alive = _age(beat_at) <= stale
        error = str(relay.get("last_error") or "")
        parts.append(
            PartStatus(
                "relay",
                str(relay.get("instance", "")),
                alive and not error,
                "エラー" if alive and error else ("正常" if alive else "停止"),
                timezone.localtime(beat_at).isoformat(timespec="seconds"),
                error or ("" if alive else f"{stale} 秒以上、処理の記録がありません"),
                dict(relay.get("backlog") or {}),  # type: ignore[call-overload]
            )
        )
    stuck = _minutes_waiting_for_speech()
    if stuck is not None:
        parts.append(stuck)
    return parts


def _minutes_waiting_for_speech() -> PartStatus | None:
    """会議録 audio a worker put back for want of speech to text (the model or the package
    missing on its host): the audio waits, the clerk sees why on the meeting's page, and
    monitoring sees a failing part until an administrator installs it. None when no audio
    waits so (most installations never report this part)."""
    waiting = AudioPiece.objects.filter(state=JobState.WAITING).exclude(error="")
    reason = waiting.order_by("id").values_list("error", flat=True).first()
    if reason is None:
        return None
    return PartStatus(
        "minutes", "", False, "エラー", detail=reason, backlog={"audio": waiting.count()}
    )


def healthy(parts: list[PartStatus]) -> bool:
    """Every part answers; a stopped worker beside a live one is reported but not failing
    (work goes on), a part with no live instance is."""
    for part_name in {p.part for p in parts}:
        of_part = [p for p in parts if p.part == part_name]
        if not any(p.ok for p in of_part):
            return False
    return True


def as_json(parts: list[PartStatus]) -> dict[str, object]:
    return {"ok": healthy(parts), "parts": [asdict(p) for p in parts]}
