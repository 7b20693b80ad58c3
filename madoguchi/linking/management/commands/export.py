from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json
from madoguchi.linking.batch import export_batch
from madoguchi.linking.constants import BatchFormat
from madoguchi.linking.reconcile import ResultFileError, import_results


class Command(MadoguchiCommand):
    # A command a timer runs every night: the installation's checks are `madoguchi check`'s
    # (docs/deployment.md); run here they import every screen's module to check the URLs,
    # a third of a second a run that writes no screen.
    requires_system_checks: list[str] = []
    help = "基幹システム連携 (方式4: 一括取込ファイルの出力と取込結果の読込)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        batch = sub.add_parser("batch", help="基幹連携待ちの申請を一括取込ファイルに出力する")
        batch.add_argument("--procedure", required=True, help="手続ID")
        batch.add_argument(
            "--format", required=True, choices=BatchFormat.values, help="ファイルの形式"
        )
        batch.add_argument("--out", required=True, type=Path, help="出力先のフォルダ")
        batch.add_argument(
            "--deliver",
            action="store_true",
            help="出力したファイルを基幹システムの取込フォルダにも置く(設定の drop_dir)",
        )
        batch.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        results = sub.add_parser("reconcile", help="基幹システムの取込結果ファイルを読み込む")
        results.add_argument("file", type=Path, help="基幹システムの取込結果ファイル")
        results.add_argument(
            "--core-system", required=True, help="基幹システム(カタログの core_system)"
        )
        results.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "reconcile":
            self._reconcile(options)
        else:
            self._batch(options)

    def _batch(self, options: dict[str, Any]) -> None:
        try:
            report = export_batch(
                options["procedure"],
                options["format"],
                options["out"],
                actor=None,
                deliver=options["deliver"],
            )
        except LookupError as exc:
            raise CommandError(f"手続がありません: {options['procedure']}") from exc
        held = [h.__dict__ for h in report.held_back]
        if options["json"]:
            print_json(
                {
                    "files": [str(path) for path in report.files],
                    "exported": report.exported,
                    "held_back": held,
                    "send_errors": report.send_errors,
                }
            )
            return
        if report.files:
            self.stdout.write(f"{len(report.exported)} 件を出力しました:")
            for path in report.files:
                self.stdout.write(f"  {path}")
        else:
            self.stdout.write("出力する申請はありません")
        for h in report.held_back:
            self.stdout.write(f"保留: {h.receipt_number} の「{h.column}」: {h.reason}")
        for error in report.send_errors:
            self.stderr.write(f"送付できませんでした(自動で再送します): {error}")

    def _reconcile(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            outcome = import_results(path.read_bytes(), path.name, options["core_system"])
        except OSError as exc:
            raise CommandError(f"{path} を読めません: {exc.strerror}") from exc
        except ResultFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        if options["json"]:
            print_json(outcome.as_json())
            return
        self.stdout.write(
            f"取込済 {len(outcome.acknowledged)} 件、失敗 {len(outcome.failed)} 件、"
            f"読めなかった行 {len(outcome.errors)} 件"
        )
        for error in outcome.errors:
            self.stdout.write(f"  {error.line}行目 {error.receipt_number}: {error.reason}")
