"""会議録: speech to text with Whisper base on this machine's cores, as the worker does it,
against the floor of bare faster-whisper transcribing the same samples with the same options.

    python bench/minutes.py [--seconds 60] [--database-url URL]

Setup (not timed): Japanese speech from espeak-ng (kana sentences, repeated to SECONDS), the
model joined from its PyPI parts, loaded once. Timed, each as seconds of work per second of
audio (the real-time factor: below 1 keeps up with a meeting):
- an uploaded recording: add_audio + the worker's transcribe step (decode, transcribe,
  segments stored), against the floor of WhisperModel.transcribe on the decoded samples;
- the live path: the same audio in 5-second pieces, each its own job, against the same
  floor — Whisper reads 30-second windows, so a short piece costs nearly a whole window.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Figure, database_name, peak_mib  # noqa: E402
from bench.setup import start_django  # noqa: E402

SENTENCES = [
    "ほんじつの かいぎを はじめます",
    "ぎだいは こそだて しえんの よさんに ついてです",
    "あおもりけんの じれいを しょうかい します",
    "つぎに ほいくえんの ていいんに ついて せつめい します",
]


def speech(folder: Path, seconds: float) -> Path:
    """A WAV of at least ``seconds`` of Japanese speech (16-bit mono, espeak-ng's rate)."""
    frames, params, total, number = [], None, 0.0, 0
    while total < seconds:
        part = folder / f"s{number}.wav"
        subprocess.run(
            ["espeak-ng", "-v", "ja", "-s", "140", "-w", str(part), SENTENCES[number % 4]],
            check=True,
        )
        with wave.open(str(part)) as w:
            params = w.getparams()
            frames.append(w.readframes(w.getnframes()))
            total += w.getnframes() / w.getframerate()
        number += 1
    out = folder / "meeting.wav"
    with wave.open(str(out), "wb") as w:
        assert params is not None
        w.setparams(params)
        w.writeframes(b"".join(frames))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = start_django(args.database_url)
    from django.conf import settings
    from django.utils import timezone

    from madoguchi.accounts.models import Department, Role, User
    from madoguchi.lib import speech as stt
    from madoguchi.minutes.actions import add_audio, create_meeting
    from madoguchi.minutes.tasks import transcribe_waiting

    stt.install_base_model(settings.WHISPER_MODEL_DIR)
    wav = speech(work, args.seconds)
    samples = stt.decode(wav)
    audio_seconds = len(samples) / stt.SAMPLE_RATE
    department = Department.objects.get_or_create(code="somu", defaults={"name": "総務課"})[0]
    clerk = User.objects.create_user("bench", role=Role.COUNTER_CLERK, department=department)
    meeting = create_meeting(
        clerk, title="bench", held_on=timezone.localdate(), department=department
    )
    # The model loaded and warm before anything is timed.
    stt.transcribe(samples[: stt.SAMPLE_RATE], model_dir=settings.WHISPER_MODEL_DIR, language="ja")

    started = time.perf_counter()
    stt.transcribe(samples, model_dir=settings.WHISPER_MODEL_DIR, language="ja")
    floor = time.perf_counter() - started

    started = time.perf_counter()
    add_audio(meeting, clerk, wav.read_bytes(), ".wav")
    transcribe_waiting()
    whole = time.perf_counter() - started
    whole_peak = peak_mib()

    # The live path: 5-second WAV pieces as the recorder sends them.
    piece_seconds = 5
    pieces: list[bytes] = []
    with wave.open(str(wav)) as w:
        step = w.getframerate() * piece_seconds
        while frames := w.readframes(step):
            path = work / f"piece{len(pieces)}.wav"
            with wave.open(str(path), "wb") as out:
                out.setparams(w.getparams())
                out.writeframes(frames)
            pieces.append(path.read_bytes())
    started = time.perf_counter()
    for number, data in enumerate(pieces):
        add_audio(meeting, clerk, data, ".wav", offset=number * piece_seconds, live=True)
        transcribe_waiting()
    live = time.perf_counter() - started

    common = {
        "benchmark": "minutes",
        "database": database_name(),
        "unit": "s/s audio",
        "floor": floor / audio_seconds,
        "target": "< 1 (keeps up), ≤ ×1.2",
    }
    Figure(
        what=f"recording of {audio_seconds:.0f} s, Whisper base",
        madoguchi=whole / audio_seconds,
        peak_mib=whole_peak,
        note=f"{settings.WHISPER_THREADS or 'all'} threads; floor: bare faster-whisper",
        **common,  # type: ignore[arg-type]
    ).emit()
    Figure(
        what=f"live, {len(pieces)} pieces of {piece_seconds} s",
        madoguchi=live / audio_seconds,
        peak_mib=peak_mib(),
        note="each piece a 30 s window for Whisper",
        **common,  # type: ignore[arg-type]
    ).emit()


if __name__ == "__main__":
    main()
