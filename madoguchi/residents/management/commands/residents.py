from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json, progress_bar
from madoguchi.residents.actions import load_links, rotate_keys
from madoguchi.residents.loader import LoadError, gaiji_code_label


class Command(MadoguchiCommand):
    help = "番号紐付情報 (load: 住基側の出力ファイルを読み込む)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("load", help="番号紐付情報ファイル (CSV) を読み込む")
        load.add_argument("file", type=Path, help="番号紐付情報ファイル")
        load.add_argument("--delta", action="store_true", help="差分ファイルとして読み込む")
        load.add_argument(
            "--format", choices=["csv", "fixed"], default=None, help="既定: 内容から判定"
        )
        load.add_argument(
            "--force",
            action="store_true",
            help="空のファイルや、開いている紐付の多く(既定 10%% 超)を終了させる"
            "全件ファイルも読み込む",
        )
        load.add_argument(
            "--dry-run", action="store_true", help="何が変わるかを表示するだけで、何も変えない"
        )
        load.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        sub.add_parser("rotate-keys", help="個人番号と証跡を最新の鍵で暗号化し直す")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "rotate-keys":
            done = rotate_keys(on_progress=progress_bar("暗号化し直し"))
            self.stdout.write(f"{done} 件の個人番号・証跡を最新の鍵で暗号化し直しました")
            return
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"ファイルがありません: {path}")
        try:
            report = load_links(
                path,
                delta=options["delta"],
                file_format=options["format"],
                force=options["force"],
                dry_run=options["dry_run"],
            )
        except LoadError as exc:
            if options["json"]:
                print_json({"ok": False, "problems": exc.problems})
            raise CommandError("番号紐付情報を読み込めませんでした:\n" + str(exc)) from exc
        if options["json"]:
            print_json({"ok": True, **asdict(report)})
        else:
            kind = "差分" if report.delta else "全件"
            verb = (
                "読み込むと、次のとおり変わります (変更していません)"
                if report.dry_run
                else "読み込みました"
            )
            self.stdout.write(
                f"{kind}ファイル {report.rows} 行を{verb} (住民 新規 "
                f"{report.residents_created}・更新 {report.residents_updated}、紐付 新規 "
                f"{report.links_created}・終了 {report.links_ended})"
            )
            for line, codes in report.held:
                self.stdout.write(
                    f"{line} 行目: 未登録の外字 {'、'.join(map(gaiji_code_label, codes))} の"
                    "ため保留しました(ほかの行は読み込みました)"
                )
            if report.held:
                self.stdout.write(
                    "外字を画面「住基の外字」(/residents/gaiji/) で登録すると、保留した行を"
                    "読み込めます"
                )
