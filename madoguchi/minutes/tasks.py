"""The worker's steps for 会議録: transcribe each piece of audio waiting (in the order it
arrived), then translate the segments asked for in English. A piece is a leased job: a
worker that dies mid-piece leaves it to another, and the segments are written in the same
transaction that checks the lease, so a piece's text is never there twice."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from madoguchi import jobs
from madoguchi.jobs import JobState
from madoguchi.lib import speech

from .models import AudioPiece, Segment

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


def _transcribe(samples: np.ndarray, words: list[str], *, translate: bool) -> speech.Transcript:
    return speech.transcribe(
        samples,
        model_dir=settings.WHISPER_MODEL_DIR,
        vocabulary=words,
        translate=translate,
        language="ja",
        threads=settings.WHISPER_THREADS,
    )


def transcribe_waiting(limit: int = 20) -> int:
    """Transcribe up to ``limit`` pieces (a pass must also get to the other steps); returns
    how many were done."""
    done = 0
    while done < limit:
        claimed = jobs.claim(AudioPiece)
        if claimed is None:
            return done
        piece: AudioPiece = claimed
        meeting = piece.meeting
        try:
            samples = speech.decode(piece.path)
            transcript = _transcribe(samples, meeting.words, translate=False)
            with transaction.atomic():
                jobs.hold(piece)
                Segment.objects.bulk_create(
                    Segment(
                        meeting=meeting,
                        piece=piece,
                        start=round(piece.offset + s.start, 2),
                        end=round(piece.offset + s.end, 2),
                        text=s.text,
                        english_wanted=meeting.translate,
                    )
                    for s in transcript.segments
                )
                jobs.finish(
                    piece,
                    JobState.DONE,
                    duration=transcript.duration,
                    transcribed_at=timezone.now(),
                    error="",
                )
        except jobs.LostLease:
            continue
        except speech.SpeechUnavailable as exc:
            # Not the audio's fault: it waits, the reason on screen, until the model is there.
            jobs.release(piece, error=str(exc)[:2000])
            return done
        except (speech.SpeechError, OSError) as exc:
            jobs.finish(piece, JobState.FAILED, error=str(exc)[:2000], transcribed_at=None)
        done += 1
    return done


def translate_waiting(limit: int = 50) -> int:
    """English for segments asked for it: each cut from its piece's audio and given to the
    model's translate task on its own, so the English stands beside the Japanese it renders.
    Two workers may both translate one segment; both write the same text."""
    segments = list(
        Segment.objects.filter(english_wanted=True, english="")
        .exclude(piece=None)
        .exclude(piece__file_name="")
        .select_related("piece", "meeting")
        .order_by("meeting_id", "start")[:limit]
    )
    audio: dict[int, np.ndarray] = {}
    for segment in segments:
        piece = segment.piece
        assert piece is not None
        try:
            if piece.pk not in audio:
                audio[piece.pk] = speech.decode(piece.path)
            part = speech.cut(
                audio[piece.pk], segment.start - piece.offset, segment.end - piece.offset
            )
            # No Japanese prompt here: given one, base answers in Japanese rather than English.
            transcript = _transcribe(part, [], translate=True)
            english = " ".join(s.text for s in transcript.segments) or "-"
        except speech.SpeechUnavailable as exc:
            log.warning("minutes: no translation on this server: %s", exc)
            break
        except (speech.SpeechError, OSError) as exc:
            log.warning("minutes: segment %s not translated: %s", segment.pk, exc)
            english = "-"
        Segment.objects.filter(pk=segment.pk, english="").update(
            english=english, english_wanted=False
        )
    return len(segments)
