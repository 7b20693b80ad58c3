"""The worker's steps for 会議録: transcribe each piece of audio waiting (in the order it
arrived, a long one a window at a time), then translate the segments asked for in English.
A piece is a leased job, renewed as each segment comes: a worker that dies mid-window leaves
the piece to another from the last window committed, and a window's segments are written in
the same transaction that checks the lease, so no text is ever there twice."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from madoguchi import jobs
from madoguchi.jobs import JobState
from madoguchi.lib import speech
from madoguchi.lib.files import write_whole

from .models import AudioPiece, Segment

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


# A long recording is transcribed this much at a time (cut at the quietest moment of the
# window's last SEARCH_SECONDS), so that a two-hour meeting neither holds the worker from its
# other steps for an hour nor starts again from nothing when a worker stops.
WINDOW_SECONDS = 120.0
SEARCH_SECONDS = 10.0


def _transcribe(
    samples: np.ndarray, words: list[str], *, translate: bool, **options: Any
) -> speech.Transcript:
    return speech.transcribe(
        samples,
        model_dir=settings.WHISPER_MODEL_DIR,
        vocabulary=words,
        translate=translate,
        language="ja",
        threads=settings.WHISPER_THREADS,
        **options,
    )


def _pcm(piece: AudioPiece) -> np.ndarray:
    """The piece's samples (16-bit, mapped from disk: only a window is ever in memory),
    decoded once into a file beside the audio and read from there on later passes."""
    import numpy as np

    if not piece.pcm_path.exists():
        samples = speech.decode(piece.path)
        write_whole(piece.pcm_path, (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return np.memmap(piece.pcm_path, dtype="<i2", mode="r")


def _window(raw: np.ndarray, start: float) -> tuple[np.ndarray, float]:
    """The samples from ``start`` to the window's end (at a quiet moment unless it is the
    recording's end), as float32, and that end in seconds."""
    import numpy as np

    duration = len(raw) / speech.SAMPLE_RATE
    end = min(duration, start + WINDOW_SECONDS)
    samples = speech.cut(raw, start, end).astype(np.float32) / 32767
    if end < duration:
        length = end - start
        end = start + speech.quiet_point(samples, length - SEARCH_SECONDS, length)
        samples = speech.cut(samples, 0, end - start)
    return samples, end


def transcribe_waiting(budget: float | None = None) -> int:
    """Transcribe waiting audio a window at a time (pieces in the order they came) until
    ``budget`` seconds of work are spent: the worker's other steps come next, and a
    recording not finished goes back to waiting where it got to. Returns the windows done."""
    budget = settings.MINUTES_PASS_SECONDS if budget is None else budget
    began, done = time.monotonic(), 0
    while time.monotonic() - began < budget:
        claimed = jobs.claim(AudioPiece)
        if claimed is None:
            return done
        piece: AudioPiece = claimed
        meeting = piece.meeting
        try:
            raw = _pcm(piece)
            duration = len(raw) / speech.SAMPLE_RATE
            start = piece.done_seconds
            samples, end = _window(raw, start)
            transcript = _transcribe(
                samples,
                meeting.words,
                translate=False,
                on_segment=lambda _spoken, job=piece: jobs.renew(job),
            )
            with transaction.atomic():
                jobs.hold(piece)
                Segment.objects.bulk_create(
                    Segment(
                        meeting=meeting,
                        piece=piece,
                        start=round(piece.offset + start + s.start, 2),
                        end=round(piece.offset + start + s.end, 2),
                        text=s.text,
                        english_wanted=meeting.translate,
                    )
                    for s in transcript.segments
                )
                if end < duration:
                    jobs.release(piece, done_seconds=end, duration=duration, error="")
                else:
                    jobs.finish(
                        piece,
                        JobState.DONE,
                        done_seconds=duration,
                        duration=duration,
                        transcribed_at=timezone.now(),
                        error="",
                    )
            if end >= duration:
                piece.pcm_path.unlink(missing_ok=True)
        except jobs.LostLease:
            continue
        except speech.SpeechUnavailable as exc:
            # Not the audio's fault: it waits, the reason on screen, until the model is there.
            jobs.release(piece, error=str(exc)[:2000])
            return done
        except (speech.SpeechError, OSError) as exc:
            jobs.finish(piece, JobState.FAILED, error=str(exc)[:2000], transcribed_at=None)
            piece.pcm_path.unlink(missing_ok=True)
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
