from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.intake.actions import ImportResult, IntakePass, import_package
from madoguchi.intake.constants import Outcome
from madoguchi.lib.cli import print_json, progress

log = logging.getLogger(__name__)


def expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.zip") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"ファイルがありません: {path}")
    return files


class Command(MadoguchiCommand):
    help = "申請データの取込 (import: 手作業でダウンロードしたパッケージを取り込む)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="パッケージ (ZIP) またはフォルダを取り込む")
        imp.add_argument(
            "paths", nargs="+", type=Path, help="パッケージ (ZIP) またはそれを入れたフォルダ"
        )
        imp.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        files = expand(options["paths"])
        results: list[ImportResult] = []
        failed: list[str] = []
        run = IntakePass()
        for path in progress(files, len(files), "取込"):
            try:
                # The file's time is when the relay (or a person) took it from the portal.
                written = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
                results.append(
                    import_package(path.read_bytes(), path.name, run, fetched_at=written)
                )
            except Exception:
                # A fault of ours, not of the package: leave it where it is and say so.
                log.exception("could not process %s", path)
                failed.append(str(path))
        if options["json"]:
            print_json({"results": [r.as_json() for r in results], "failed": failed})
        else:
            for r in results:
                reason = f" {r.reason.value} ({r.reason.label})" if r.reason else ""
                self.stdout.write(f"{r.file}\t{r.receipt_number or '-'}\t{r.outcome.label}{reason}")
            counts = {o: sum(r.outcome == o for r in results) for o in Outcome}
            self.stdout.write(
                f"受付 {counts[Outcome.ACCEPTED]} 件・重複 {counts[Outcome.DUPLICATE]} 件・"
                f"隔離 {counts[Outcome.QUARANTINED]} 件"
            )
        if failed:
            raise CommandError(
                f"{len(failed)} 件を処理できませんでした。ファイルはそのまま残っています"
            )
