from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone

from madoguchi.accounts.actions import issue_core_system_token
from madoguchi.command import MadoguchiCommand
from madoguchi.lib.cli import print_json
from madoguchi.linking.actions import register_oauth_client
from madoguchi.linking.models import Delivery
from madoguchi.linking.oauth import scopes_for
from madoguchi.linking.plugins import all_core_systems
from madoguchi.linking.tasks import failures


class Command(MadoguchiCommand):
    help = "基幹システム連携 (status: 連携状況 / failures: 要対応の連携 / token: 方式3のトークン)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        status = sub.add_parser("status", help="基幹システムごとの連携方式と件数")
        status.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        failed = sub.add_parser("failures", help="失敗した連携と、送付後1日以上結果のない連携")
        failed.add_argument("--json", action="store_true", help="結果を JSON で出力する")
        token = sub.add_parser("token", help="基幹システム用の取得APIトークンを発行する")
        token.add_argument("core_system", help="カタログの core_system (例: kaigo_hoken)")
        token.add_argument("--name", default="pull-api", help="用途")
        client = sub.add_parser(
            "client", help="基幹システム(業務)の OAuth2 クライアントを登録する(秘密は一度だけ表示)"
        )
        client.add_argument("core_system", help="カタログの core_system (例: kaigo_hoken)")
        client.add_argument("--business-id", required=True, help="業務ID (スコープの先頭)")
        client.add_argument("--json", action="store_true", help="結果を JSON で出力する")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["subcommand"])(options)

    def _status(self, options: dict[str, Any]) -> None:
        counts: dict[str, dict[str, int]] = {}
        for key, state, n in (
            Delivery.objects.values("core_system", "state")
            .annotate(n=Count("id"))
            .values_list("core_system", "state", "n")
        ):
            counts.setdefault(key, {})[state] = n
        systems: list[dict[str, Any]] = [
            {
                "core_system": plugin.key,
                "name": plugin.name,
                "plugin": plugin.config.plugin,
                "method": plugin.config.method.value,
                "procedures": {k: v.value for k, v in plugin.config.procedures.items()},
                "deliveries": counts.get(plugin.key, {}),
            }
            for plugin in all_core_systems()
        ]
        if options["json"]:
            print_json({"core_systems": systems})
            return
        for s in systems:
            states = " ".join(f"{k}={v}" for k, v in sorted(s["deliveries"].items())) or "-"
            self.stdout.write(f"{s['core_system']:<16} {s['method']:<14} {s['name']}  {states}")

    def _failures(self, options: dict[str, Any]) -> None:
        found = failures(timezone.now() - dt.timedelta(days=1))
        rows = [
            {
                "receipt_number": d.application.receipt_number,
                "core_system": d.core_system,
                "state": d.state,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
            }
            for d in found
        ]
        if options["json"]:
            print_json({"failures": rows})
            return
        if not rows:
            self.stdout.write("対応が必要な連携はありません")
        for r in rows:
            self.stdout.write(
                f"{r['receipt_number']} {r['core_system']} {r['state']} "
                f"(送付{r['attempts']}回) {r['last_error'] or '取込結果なし'}"
            )

    def _client(self, options: dict[str, Any]) -> None:
        key = options["core_system"]
        if key not in {plugin.key for plugin in all_core_systems()}:
            raise CommandError(f"基幹システム {key!r} はカタログにも設定にもありません")
        business_id = options["business_id"].strip()
        if not business_id or ":" in business_id or not business_id.isascii():
            raise CommandError("業務ID は半角英数字で、: を含みません")
        client_id, secret = register_oauth_client(key, business_id, actor=None)
        scopes = scopes_for(business_id)
        if options["json"]:
            print_json({"client_id": client_id, "client_secret": secret, "scopes": scopes})
            return
        self.stdout.write(f"client_id: {client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write(f"scopes: {' '.join(scopes)}")
        self.stdout.write(
            "client_secret はこの一度だけ表示します。安全な方法で基幹システムに渡してください"
        )

    def _token(self, options: dict[str, Any]) -> None:
        key = options["core_system"]
        if key not in {plugin.key for plugin in all_core_systems()}:
            raise CommandError(f"基幹システムがありません: {key}")
        self.stdout.write(issue_core_system_token(key, options["name"], actor=None))
