"""`madoguchi bench [--quick]`: every benchmark, one table of ratios to their floors
(bench/README.md). The benchmarks live beside the package in a source checkout, with the
simulator they generate packages with; madoguchi itself never imports either."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

import madoguchi
from madoguchi.command import MadoguchiCommand

RUNNER = Path(madoguchi.__file__).resolve().parent.parent / "bench" / "run"


class Command(MadoguchiCommand):
    help = "すべてのベンチマークを実行し、下限(floor)との比を1つの表で示す"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quick", action="store_true", help="小さな規模で一通り動くことだけを確かめる"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not RUNNER.exists():
            raise CommandError(
                "ベンチマークはソースの取得先 (git clone) でだけ実行できます: "
                f"{RUNNER} がありません"
            )
        command = [str(RUNNER), "suite", *(["--quick"] if options["quick"] else [])]
        if subprocess.run(command, check=False).returncode != 0:  # noqa: S603 (our own script)
            raise CommandError("ベンチマークの一部を実行できませんでした (上の出力を参照)")
