"""The ``madoguchi`` command: Django's management commands under one name.

Bad input never ends in a traceback: a command that fails on a file, a folder, the
database or a value says so in Japanese and exits with 1 (DESIGN.md §6); the traceback
goes to the log only when MADOGUCHI_TRACEBACK is set.
"""

import logging
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    from madoguchi.lib.cli import install_japanese_argparse

    try:
        install_japanese_argparse()
        django.setup()
        from madoguchi.command import door

        answered = door(sys.argv[1:])
        if answered is not None:
            sys.exit(answered)
        execute_from_command_line(["madoguchi", *sys.argv[1:]])
    except KeyboardInterrupt:
        sys.exit(130)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"設定エラー: {exc}\n")
        sys.exit(1)
    except (OSError, UnicodeError, ValueError, DatabaseError) as exc:
        if os.environ.get("MADOGUCHI_TRACEBACK"):
            logging.getLogger("madoguchi").exception("command failed")
        sys.stderr.write(f"エラー: {_explain(exc)}\n")
        sys.exit(1)


def _explain(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"ファイルまたはフォルダがありません: {exc.filename}"
    if isinstance(exc, FileExistsError):
        return f"同じ名前のファイルがすでにあります: {exc.filename}"
    if isinstance(exc, PermissionError):
        return f"アクセスする権限がありません: {exc.filename}"
    if isinstance(exc, UnicodeError):
        return f"文字コードを読めません (UTF-8 または CP932 のファイルを指定してください): {exc}"
    if isinstance(exc, OSError):
        return f"ファイルを読み書きできません: {exc.strerror or exc} ({exc.filename or ''})"
    from django.db import DatabaseError

    if isinstance(exc, DatabaseError):
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"データベースで処理できませんでした: {first_line}"
    return f"値が正しくありません: {exc}"


if __name__ == "__main__":
    main()
