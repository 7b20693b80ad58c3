"""A meeting, the audio it was given in pieces (each a job of the worker), the segments of
its transcript and every earlier wording of a corrected segment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.jobs import LeasedJob


class MeetingState(models.TextChoices):
    OPEN = "open", _("作成中")
    FIXED = "fixed", _("確定")


class Meeting(models.Model):
    title = models.CharField(_("会議名"), max_length=200)
    held_on = models.DateField(_("開催日"))
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("課"), on_delete=models.PROTECT, related_name="+"
    )
    # One name a line: the attendees (出席者), offered as speakers when correcting.
    participants = models.TextField(_("出席者"), blank=True)
    # One word a line: the meeting's proper nouns and terms, given to the model as its prompt.
    vocabulary = models.TextField(_("この会議の用語"), blank=True)
    translate = models.BooleanField(_("英訳も作る"), default=False)
    state = models.CharField(max_length=10, choices=MeetingState.choices, default=MeetingState.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    fixed_at = models.DateTimeField(null=True, blank=True)
    audio_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["department", "held_on"])]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_target(self) -> tuple[str, str]:
        return "meeting", str(self.pk)

    @property
    def words(self) -> list[str]:
        return [w.strip() for w in self.vocabulary.splitlines() if w.strip()]

    @property
    def attendees(self) -> list[str]:
        return [p.strip() for p in self.participants.splitlines() if p.strip()]

    @property
    def purge_on(self) -> dt.date | None:
        """The day its transcript is deleted (確定 meetings only)."""
        if self.fixed_at is None:
            return None
        return self.fixed_at.date() + dt.timedelta(days=settings.MINUTES_RETENTION_DAYS)

    @property
    def folder(self) -> Path:
        return Path(settings.DATA_DIR) / "minutes" / f"meeting-{self.pk}"


class AudioPiece(LeasedJob):
    """A recording uploaded whole, or a few seconds of one sent while the meeting goes on:
    transcribed by the worker into segments placed at ``offset`` in the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="pieces")
    seq = models.PositiveIntegerField()
    # Seconds from the start of the meeting's recording to the start of this piece.
    offset = models.FloatField(default=0)
    duration = models.FloatField(null=True, blank=True)
    # How far the transcript has got: a long recording goes a window at a time, and a worker
    # that stops mid-recording leaves the rest for the next from here, not from the start.
    done_seconds = models.FloatField(default=0)
    file_name = models.CharField(max_length=100, blank=True)  # "" once the audio is deleted
    live = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    transcribed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "seq"], name="minutes_piece_seq_unique")
        ]
        indexes = [
            # What a worker may claim, on every pass: not a walk past every piece done.
            models.Index(
                fields=["id"],
                condition=models.Q(state__in=["waiting", "running"]),
                name="minutes_piece_claimable",
            )
        ]

    @property
    def path(self) -> Path:
        return self.meeting.folder / self.file_name

    @property
    def pcm_path(self) -> Path:
        """The audio decoded once (16 kHz, 16-bit) while its windows are transcribed."""
        return self.meeting.folder / f".piece-{self.pk}.pcm"

    @property
    def progress(self) -> str:
        """「12:30 / 60:00」 of a long recording under way ("" before it is decoded)."""
        if not self.duration or self.done_seconds <= 0:
            return ""
        return f"{_clock(self.done_seconds)} / {_clock(self.duration)}"

    @property
    def delay(self) -> float | None:
        """Seconds from the piece's arrival to its text (shown while recording)."""
        if self.transcribed_at is None:
            return None
        return (self.transcribed_at - self.added_at).total_seconds()


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class Segment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="segments")
    piece = models.ForeignKey(
        AudioPiece, null=True, blank=True, on_delete=models.SET_NULL, related_name="segments"
    )
    # Seconds from the start of the meeting's recording.
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField(_("発言"))
    speaker = models.CharField(_("発言者"), max_length=100, blank=True)
    english = models.TextField(_("英訳"), blank=True)
    english_wanted = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            # The segments waiting for English, looked for on every worker pass.
            models.Index(
                fields=["meeting", "start"],
                condition=models.Q(english_wanted=True),
                name="minutes_segment_english_wanted",
            )
        ]

    @property
    def playable(self) -> bool:
        return self.piece is not None and bool(self.piece.file_name)

    @property
    def at_in_piece(self) -> float:
        """Where the segment starts in its piece's audio (seconds)."""
        return max(0.0, self.start - self.piece.offset) if self.piece else 0.0


class SegmentVersion(models.Model):
    """A segment as it read at ``version``, and who replaced that wording when."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    text = models.TextField()
    speaker = models.CharField(max_length=100, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
