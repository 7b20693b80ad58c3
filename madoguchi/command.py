"""The ``madoguchi`` command's door, in Japanese: the list of madoguchi's own commands, a
clear answer to an unknown one (exit 2, DESIGN.md §6), and the base class every
madoguchi command derives from, whose parser speaks Japanese too.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandParser

from madoguchi.lib.cli import install_japanese_argparse

# Django's options every command carries: the two an administrator uses, in Japanese; the
# rest are for developers and are left out of the help.
DJANGO_OPTIONS = {
    "verbosity": "出力の詳しさ (0: 最小, 1: 通常, 2: 詳細, 3: とても詳細)",
    "traceback": "エラーのとき Python のトレースバックを表示する (開発者向け)",
}
HIDDEN_OPTIONS = {"settings", "pythonpath", "no_color", "force_color", "skip_checks", "version"}

# Django's own commands that installing and upgrading use (docs/deployment.md); every other
# Django command still runs, but is not listed.
DJANGO_COMMANDS = {
    "migrate": "データベースを最新の構造にする (導入・更新のとき)",
    "collectstatic": "画面の静的ファイルを STATIC_ROOT に集める (導入・更新のとき)",
    "check": "設定を確かめる (--deploy で本番向けの確認)",
    "showmigrations": "データベースに適用済みの構造変更を表示する",
}


class MadoguchiCommand(BaseCommand):
    """A madoguchi command: argparse's messages and Django's shared options in Japanese."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        install_japanese_argparse()
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if action.dest in HIDDEN_OPTIONS:
                action.help = argparse.SUPPRESS
            elif action.dest in DJANGO_OPTIONS:
                action.help = DJANGO_OPTIONS[action.dest]
        return parser


def madoguchi_commands() -> dict[str, str]:
    """Our commands by name, each with its one-line Japanese description."""
    found = {}
    for name, app in sorted(get_commands().items()):
        if app.startswith("madoguchi."):
            found[name] = str(load_command_class(app, name).help)
    return found


def print_command_list(out: TextIO) -> None:
    out.write("madoguchi — 申請管理システム\n\n使い方: madoguchi <コマンド> [引数]\n\n")
    out.write("コマンド:\n")
    ours = madoguchi_commands()
    width = max(len(n) for n in [*ours, *DJANGO_COMMANDS])
    for name, text in ours.items():
        out.write(f"  {name.ljust(width)}  {text}\n")
    out.write("\n導入・更新で使う Django のコマンド:\n")
    for name, text in DJANGO_COMMANDS.items():
        out.write(f"  {name.ljust(width)}  {text}\n")
    out.write("\nコマンドごとの説明: madoguchi <コマンド> --help\n")


def door(argv: list[str]) -> int | None:
    """What ``madoguchi`` answers by itself (an exit code), or None for a command to run."""
    if not argv:
        print_command_list(sys.stderr)
        return 2
    if argv[0] in ("-h", "--help") or argv == ["help"]:
        print_command_list(sys.stdout)
        return 0
    name = argv[1] if argv[0] == "help" else argv[0]
    if name not in get_commands():
        sys.stderr.write(
            f"エラー: 「{name}」というコマンドはありません。"
            "コマンドの一覧は madoguchi --help で表示します\n"
        )
        return 2
    return None
