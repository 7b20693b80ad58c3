from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from madoguchi.command import MadoguchiCommand
from madoguchi.intake.actions import add_trust_anchor
from madoguchi.intake.trust import TrustError


class Command(MadoguchiCommand):
    help = "トラストアンカー (add: JPKI 認証局証明書の登録)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="認証局証明書 (PEM) を登録する")
        add.add_argument("cert", type=Path, help="認証局の証明書 (PEM)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["cert"]
        if not path.is_file():
            raise CommandError(f"ファイルがありません: {path}")
        try:
            anchor, created = add_trust_anchor(path.read_bytes())
        except TrustError as exc:
            raise CommandError(str(exc)) from exc
        state = "登録しました" if created else "登録済みです"
        self.stdout.write(f"{state}: {anchor.subject} (SHA-256 {anchor.fingerprint_sha256})")
