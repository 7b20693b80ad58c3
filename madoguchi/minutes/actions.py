"""What changes a meeting: each one transaction, audited. The audit log names the meeting by
its number and never quotes what was said (the transcript holds proper nouns: the seed's
reason for deleting it on schedule)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.jobs import JobState
from madoguchi.lib.files import write_whole

from .models import AudioPiece, Meeting, MeetingState, Segment, SegmentVersion

# What the browser and the upload form may send, by the name's ending.
AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".mp4", ".webm", ".ogg", ".oga", ".opus", ".flac"}


class MinutesError(Exception):
    """Refused, with the reason the member of staff reads."""


def create_meeting(actor: User, **fields: object) -> Meeting:
    with transaction.atomic():
        meeting = Meeting.objects.create(created_by=actor, **fields)
        record(
            AuditAction.MEETING_CREATED,
            actor=actor,
            target=meeting,
            extra={"held_on": meeting.held_on.isoformat()},
        )
    return meeting


def add_audio(
    meeting: Meeting,
    actor: User,
    data: bytes | Iterable[bytes],
    suffix: str,
    *,
    offset: float = 0,
    live: bool = False,
    size: int | None = None,
) -> AudioPiece:
    """A recording (or a few seconds of one; its bytes, or an upload's chunks and ``size``)
    for the worker to transcribe; kept in the data folder until the minutes are 確定."""
    suffix = suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise MinutesError("音声ファイル (WAV, MP3, M4A, WebM, Ogg) を選んでください")
    if not (len(data) if isinstance(data, bytes) else size):
        raise MinutesError("ファイルが空です")
    if offset < 0:
        raise MinutesError("録音の開始からの時間が正しくありません")
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.state != MeetingState.OPEN:
            raise MinutesError("確定した会議録には音声を追加できません")
        seq = (locked.pieces.aggregate(last=Max("seq"))["last"] or 0) + 1
        name = f"piece-{seq:05d}{suffix}"
        locked.folder.mkdir(parents=True, exist_ok=True)
        write_whole(locked.folder / name, data)
        piece = AudioPiece.objects.create(
            meeting=locked, seq=seq, offset=offset, file_name=name, live=live, added_by=actor
        )
        if not live or seq == 1:  # a live recording is one addition, not one per chunk
            record(
                AuditAction.MEETING_AUDIO_ADDED,
                actor=actor,
                target=locked,
                extra={"via": "live" if live else "upload"},
            )
    return piece


def edit_segment(segment: Segment, actor: User, *, text: str, speaker: str) -> Segment:
    """The corrected wording and speaker; the earlier one kept as a version."""
    text, speaker = text.strip(), speaker.strip()[:100]
    if not text:
        raise MinutesError("発言が空です。消す場合は「(削除)」のように書いてください")
    with transaction.atomic():
        current = Segment.objects.select_for_update().select_related("meeting").get(pk=segment.pk)
        if current.meeting.state != MeetingState.OPEN:
            raise MinutesError("確定した会議録は修正できません")
        if (current.text, current.speaker) == (text, speaker):
            return current
        SegmentVersion.objects.create(
            segment=current,
            version=current.version,
            text=current.text,
            speaker=current.speaker,
            edited_by=actor,
        )
        current.text, current.speaker = text, speaker
        current.version += 1
        current.save(update_fields=["text", "speaker", "version"])
        record(
            AuditAction.MEETING_SEGMENT_EDITED,
            actor=actor,
            target=current.meeting,
            extra={"segment": current.pk, "version": current.version},
        )
    return current


def ask_translation(meeting: Meeting, actor: User, segment: Segment | None = None) -> int:
    """英訳: every segment not yet in English (or the one given, again if it has one), for
    the worker; a whole meeting's later segments too. Returns how many."""
    with transaction.atomic():
        if meeting.state != MeetingState.OPEN or meeting.audio_deleted_at is not None:
            raise MinutesError("確定した会議録には英訳を付けられません")
        if segment is not None:
            count = meeting.segments.filter(pk=segment.pk).update(english="", english_wanted=True)
        else:
            count = meeting.segments.filter(english="", english_wanted=False).update(
                english_wanted=True
            )
            Meeting.objects.filter(pk=meeting.pk).update(translate=True)
        record(
            AuditAction.MEETING_TRANSLATION_ASKED,
            actor=actor,
            target=meeting,
            extra={"segments": count},
        )
    return count


def fix(meeting: Meeting, actor: User) -> Meeting:
    """確定: no more audio or corrections; the retention run then deletes the audio, and the
    transcript once MINUTES_RETENTION_DAYS have passed."""
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.state != MeetingState.OPEN:
            raise MinutesError("この会議録はすでに確定しています")
        if locked.pieces.filter(state__in=[JobState.WAITING, JobState.RUNNING]).exists():
            raise MinutesError(
                "文字起こしの終わっていない音声があります。終わってから確定してください"
            )
        locked.state, locked.fixed_at = MeetingState.FIXED, timezone.now()
        locked.save(update_fields=["state", "fixed_at"])
        record(
            AuditAction.MEETING_FIXED,
            actor=actor,
            target=locked,
            extra={"segments": locked.segments.count()},
        )
    return locked


def record_export(meeting: Meeting, actor: User, kind: str) -> None:
    """A download of the minutes (PDF, DOCX, text): what was said left the system."""
    with transaction.atomic():
        record(AuditAction.MEETING_EXPORTED, actor=actor, target=meeting, extra={"format": kind})


@dataclass
class RetentionReport:
    audio_deleted: list[int] = field(default_factory=list)
    purged: list[int] = field(default_factory=list)


def run_retention(*, apply: bool, today: dt.date | None = None) -> RetentionReport:
    """The audio of every 確定 meeting, and every meeting whose transcript is past its
    retention period (row, segments, versions and folder): what is due, deleted with
    ``apply``. The files go after the rows are committed; a crash between leaves only files
    no row names, which the next run removes with their meeting's folder."""
    report = RetentionReport()
    today = today or timezone.localdate()
    for meeting in Meeting.objects.filter(state=MeetingState.FIXED).order_by("pk"):
        purge_on = meeting.purge_on
        if purge_on is not None and purge_on <= today:
            report.purged.append(meeting.pk)
            if apply:
                _purge(meeting)
        elif meeting.audio_deleted_at is None:
            report.audio_deleted.append(meeting.pk)
            if apply:
                _delete_audio(meeting)
    return report


def _delete_audio(meeting: Meeting) -> None:
    with transaction.atomic():
        pieces = meeting.pieces.exclude(file_name="")
        seconds = sum(p.duration or 0 for p in pieces)
        count = pieces.update(file_name="")
        Meeting.objects.filter(pk=meeting.pk).update(audio_deleted_at=timezone.now())
        record(
            AuditAction.MEETING_AUDIO_DELETED,
            actor=None,
            target=meeting,
            extra={"pieces": count, "seconds": round(seconds)},
        )
    shutil.rmtree(meeting.folder, ignore_errors=True)


def _purge(meeting: Meeting) -> None:
    folder = meeting.folder
    with transaction.atomic():
        record(
            AuditAction.MEETING_PURGED,
            actor=None,
            target=meeting,
            extra={
                "held_on": meeting.held_on.isoformat(),
                "segments": meeting.segments.count(),
            },
        )
        meeting.delete()
    shutil.rmtree(folder, ignore_errors=True)
