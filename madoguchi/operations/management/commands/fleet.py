from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json
from madoguchi.operations.fleet import actions, portability, units
from madoguchi.operations.fleet.registry import Fleet, FleetError
from madoguchi.operations.fleet.runner import replace_with


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="結果を JSON で出力する")


def _parallel(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parallel", type=int, default=2, metavar="N", help="同時に処理する団体の数 (既定 2)"
    )


class Command(MadoguchiCommand):
    # The fleet is no municipality: the checks of one (a 団体コード…) are its members' own.
    requires_system_checks: list[str] = []
    help = (
        "共同利用: 団体ごとのデータベース・鍵・設定の作成、マイグレーション、バックアップ、移出入"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="操作")
        add = sub.add_parser("add", help="団体を登録する (データベースとロール・鍵・設定ファイル)")
        add.add_argument("code", help="地方公共団体コード (6 桁)")
        add.add_argument("--name", required=True, help="団体名 (例: 日野町)")
        add.add_argument("--host", required=True, help="職員が使うホスト名")
        add.add_argument("--database-url", help="既存のデータベースを使うときの URL")
        _json(add)
        _json(sub.add_parser("list", help="登録した団体の一覧"))
        migrate = sub.add_parser(
            "migrate", help="全団体のデータベースを最新にする (カナリアを先に、失敗で止める)"
        )
        migrate.add_argument("--canary", metavar="CODE", help="最初に一つだけ更新する団体")
        _parallel(migrate)
        _json(migrate)
        status = sub.add_parser("status", help="全団体の稼働状況 (一つでも異常なら終了コード 1)")
        _parallel(status)
        _json(status)
        backup = sub.add_parser("backup", help="全団体のバックアップ")
        backup.add_argument(
            "--out",
            type=Path,
            default=Path("/var/backups/madoguchi"),
            help="書き出すフォルダ (既定 /var/backups/madoguchi、団体コードと時刻のファイル名)",
        )
        _parallel(backup)
        _json(backup)
        export = sub.add_parser("export", help="一つの団体のデータと鍵を一つのファイルに書き出す")
        export.add_argument("code", help="地方公共団体コード")
        export.add_argument("--out", type=Path, required=True, help="書き出すフォルダ")
        _json(export)
        into = sub.add_parser("import", help="エクスポートしたファイルから団体を立ち上げる")
        into.add_argument("archive", type=Path, help="fleet export のファイル")
        into.add_argument("--host", help="ホスト名 (既定: エクスポート元と同じ)")
        _json(into)
        remove = sub.add_parser("remove", help="団体を削除する (エクスポートの後だけ)")
        remove.add_argument("code", help="地方公共団体コード")
        _json(remove)
        counts = sub.add_parser(
            "counts", help="各団体の日次集計 (件数のみ) を集める。--into で都道府県の画面へ"
        )
        counts.add_argument("--out", type=Path, required=True, help="集計ファイルを置くフォルダ")
        counts.add_argument(
            "--into", metavar="CODE", help="集計を読み込む団体 (県内の状況を見る都道府県)"
        )
        _parallel(counts)
        _json(counts)
        made = sub.add_parser(
            "units", help="systemd のテンプレートユニットと nginx のサイト設定を書き出す"
        )
        made.add_argument("--out", type=Path, required=True, help="書き出すフォルダ")
        made.add_argument(
            "--program",
            default=str(Path(sys.executable).with_name("madoguchi")),
            help="ユニットが起動する madoguchi コマンドのパス",
        )
        one = sub.add_parser("run", help="一つの団体の環境で madoguchi のコマンドを実行する")
        one.add_argument("code", help="地方公共団体コード")
        one.add_argument("command", nargs=argparse.REMAINDER, help="madoguchi のコマンドと引数")

    def handle(self, *args: Any, **options: Any) -> None:
        fleet = Fleet(settings.FLEET_DIR, settings.FLEET_DATA_DIR)
        admin_url = settings.FLEET_ADMIN_DATABASE_URL
        name = options["subcommand"]
        try:
            getattr(self, f"do_{name}")(fleet, admin_url, options)
        except FleetError as exc:
            raise CommandError(str(exc)) from exc

    def answer(self, options: dict[str, Any], document: Any, text: str) -> None:
        if options.get("json"):
            print_json(document)
        else:
            self.stdout.write(text)

    def do_add(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        member = actions.add(
            fleet,
            options["code"],
            options["name"],
            options["host"],
            admin_url=admin_url,
            database_url=options["database_url"],
        )
        self.answer(
            options,
            {**vars(member), "env_file": str(fleet.env_file(member.code))},
            f"{member.code} {member.name} を登録しました (https://{member.host}、"
            f"Web ポート {member.port}、設定 {fleet.env_file(member.code)})",
        )

    def do_list(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        members = fleet.members()
        problems = fleet.journal_problems()
        self.answer(
            options,
            {"municipalities": [vars(m) for m in members], "journal_problems": problems},
            "\n".join(
                [f"{m.code}\t{m.name}\t{m.host}\t{m.port}\t{m.database}" for m in members]
                or ["団体はまだ登録されていません"]
            ),
        )
        if problems:
            raise CommandError("作業記録 (journal.jsonl) に異常があります:\n" + "\n".join(problems))

    def do_migrate(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        report = actions.migrate(fleet, options["canary"], options["parallel"])
        lines = [f"更新しました: {len(report.done)} 団体"]
        lines += [f"失敗: {code} {reason}" for code, reason in report.failed.items()]
        if report.not_started:
            lines.append(f"更新していません: {' '.join(report.not_started)}")
        self.answer(options, vars(report), "\n".join(lines))
        if report.failed:
            first = next(iter(report.failed))
            raise CommandError(
                f"{first} {fleet.get(first).name} のマイグレーションに失敗したため、"
                f"残り {len(report.not_started)} 団体は更新していません"
            )

    def do_status(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        rows = actions.status(fleet, options["parallel"])
        self.answer(
            options,
            {"municipalities": rows},
            "\n".join(
                f"{r['code']}\t{r['name']}\t{'正常' if r['ok'] else '異常'}\t{r['error'] or ''}"
                for r in rows
            ),
        )
        failing = [r["code"] for r in rows if not r["ok"]]
        if failing:
            raise CommandError(f"異常のある団体: {' '.join(failing)}")

    def do_backup(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        rows = actions.backup(fleet, options["out"], options["parallel"])
        self.answer(
            options,
            {"backups": rows},
            "\n".join(f"{r['code']}\t{r['file'] or '失敗: ' + r['error']}" for r in rows),
        )
        failing = [r["code"] for r in rows if not r["ok"]]
        if failing:
            raise CommandError(f"バックアップに失敗した団体: {' '.join(failing)}")

    def do_export(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        result = portability.export(fleet, options["code"], options["out"])
        self.answer(
            options,
            result,
            f"書き出しました: {result['file']} (SHA-256 {result['sha256']})\n"
            "このファイルには団体の鍵が入っています。鍵と同じように保管してください",
        )

    def do_import(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        result = portability.import_(
            fleet, options["archive"], admin_url=admin_url, host=options["host"]
        )
        self.answer(
            options,
            result,
            f"{result['code']} {result['name']} を取り込みました"
            f" (申請 {result['applications']} 件、監査ログ {result['audit_events']} 件)",
        )
        if result["audit_problems"]:
            raise CommandError(
                "取り込みましたが、監査ログの検査で異常が見つかりました:\n"
                + "\n".join(result["audit_problems"])
            )

    def do_remove(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        result = portability.remove(fleet, options["code"], admin_url=admin_url)
        self.answer(
            options,
            result,
            f"{result['code']} {result['name']} を削除しました (エクスポート {result['export']})",
        )

    def do_counts(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        rows, loaded = actions.counts(fleet, options["out"], options["into"], options["parallel"])
        self.answer(
            options,
            {"exports": rows, "loaded_into": options["into"] if loaded and loaded.ok else None},
            "\n".join(f"{r['code']}\t{r['file'] or '失敗: ' + r['error']}" for r in rows),
        )
        if loaded is not None and not loaded.ok:
            raise CommandError(f"{options['into']} に読み込めませんでした: {loaded.reason()}")
        failing = [r["code"] for r in rows if not r["ok"]]
        if failing:
            raise CommandError(f"集計を書き出せなかった団体: {' '.join(failing)}")

    def do_units(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        for path in units.write(fleet, options["out"], options["program"]):
            self.stdout.write(str(path))

    def do_run(self, fleet: Fleet, admin_url: str, options: dict[str, Any]) -> None:
        given = options["command"]
        command = given[1:] if given[:1] == ["--"] else given
        if not command:
            raise CommandError(
                "実行するコマンドを指定してください (例: fleet run 131016 -- status)"
            )
        self.stdout.flush()
        replace_with(fleet, fleet.get(options["code"]), command)
