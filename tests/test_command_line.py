"""The command line's door speaks Japanese: the list of madoguchi's commands, an unknown
command, a missing argument (exit 2, DESIGN.md §6), and a Japanese help text on every
command, sub-command and argument."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.core.management import get_commands, load_command_class

from madoguchi.command import madoguchi_commands

pytestmark = pytest.mark.one_pass("sqlite")


def japanese(text: str | None) -> bool:
    return bool(text) and any("\u3040" <= c <= "\u9fff" for c in str(text))


def madoguchi(*args: str, tmp_path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "madoguchi", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "MADOGUCHI_DATA_DIR": str(tmp_path / "data")},
        timeout=60,
    )


def test_alone_it_lists_its_own_commands_in_japanese_and_exits_2(tmp_path):
    done = madoguchi(tmp_path=tmp_path)
    assert done.returncode == 2
    assert "使い方: madoguchi <コマンド>" in done.stderr
    listed = {line.split()[0] for line in done.stderr.splitlines() if line.startswith("  ")}
    assert {"staff", "departments", "intake", "worker", "migrate"} <= listed
    # Django's developer commands are not offered to an administrator.
    assert not {"flush", "sqlflush", "dbshell", "makemigrations"} & listed
    assert madoguchi("--help", tmp_path=tmp_path).returncode == 0


def test_an_unknown_command_is_answered_in_japanese_with_exit_2(tmp_path):
    done = madoguchi("stafff", "list", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "「stafff」というコマンドはありません" in done.stderr
    assert "Unknown command" not in done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["export", "batch"], "次の引数を指定してください: --procedure, --format, --out"),
        (["staff", "add", "x", "--name", "某", "--role", "boss"], "役割が正しくありません"),
        (["staff"], "次の引数を指定してください"),
        (["staff", "move", "x", "--from", "4月1日"], "日付は YYYY-MM-DD で指定してください"),
        (["notices", "batch", "--kind", "nope", "--out", "x"], "選べない値です"),
        (["intake", "import", "a.zip", "--bogus"], "知らない引数です: --bogus"),
    ],
)
def test_argument_errors_are_japanese_with_exit_2(tmp_path, args, expected):
    done = madoguchi(*args, tmp_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "使い方: madoguchi" in done.stderr
    assert expected in done.stderr
    assert "error:" not in done.stderr and "usage:" not in done.stderr


def parsers(parser: argparse.ArgumentParser, name: str) -> Iterator[tuple[str, argparse.Action]]:
    """Every argument of a parser and of its sub-commands, each with where it is."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f"{name} {choice.dest}", choice
            for sub_name, sub in action.choices.items():
                yield from parsers(sub, f"{name} {sub_name}")
        elif action.help != argparse.SUPPRESS:
            yield f"{name} {'/'.join(action.option_strings) or action.dest}", action


def test_every_command_and_argument_has_a_japanese_help_text():
    missing = []
    apps = get_commands()
    for name, help_text in madoguchi_commands().items():
        if not japanese(help_text):
            missing.append(name)
        parser = load_command_class(apps[name], name).create_parser("madoguchi", name)
        for where, action in parsers(parser, name):
            if not japanese(action.help):
                missing.append(where)
    assert missing == [], "\n".join(missing)
