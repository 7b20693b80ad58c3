"""`madoguchi check --deploy`: what a production installation must not leave as the demo
does (docs/deployment.md). Django's own deploy checks (HSTS, secure cookies …) run beside."""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

# Secrets the demo makes in the data folder, by their setting.
GENERATED = {
    "SECRET_KEY": "secret_key",
    "MADOGUCHI_MY_NUMBER_KEYS": "my-number-key",
    "MADOGUCHI_AUDIT_KEYS": "audit-key",
    "MADOGUCHI_RELAY_HANDOFF_KEY": "relay-handoff-key",
    "MADOGUCHI_SPOOL_PRIVATE_KEY": "spool-private-key",
}


def _given(name: str) -> bool:
    return bool(os.environ.get(name) or os.environ.get(f"{name}_FILE"))


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if not settings.PRODUCTION:
        found.append(
            Warning(
                "MADOGUCHI_PRODUCTION=1 が設定されていません。足りない鍵が自動で作られます",
                hint="本番のサービスでは設定してください (deploy/madoguchi.env)",
                id="madoguchi.W010",
            )
        )
    for name, file_name in GENERATED.items():
        if settings.RELAY_ONLY and name != "MADOGUCHI_RELAY_HANDOFF_KEY":
            continue
        if not _given(name):
            where = settings.DATA_DIR / file_name
            found.append(
                Warning(
                    f"{name} が設定されていません"
                    + (f" (データフォルダの {where} を使っています)" if where.exists() else ""),
                    hint=f"{name}_FILE で、データベースとは別のディスクのファイルを"
                    "指定してください",
                    id="madoguchi.W011",
                )
            )
    if settings.RELAY_ONLY:
        return found
    anchors = settings.AUDIT_ANCHOR_FILE.resolve()
    if settings.DATA_DIR in anchors.parents:
        found.append(
            Warning(
                f"監査ログのチェックポイント {anchors} がデータフォルダの中にあります",
                hint="MADOGUCHI_AUDIT_ANCHOR_FILE を別のディスクか追記専用の場所にしてください",
                id="madoguchi.W012",
            )
        )
    if settings.BEHIND_HTTPS_PROXY and not settings.TRUSTED_PROXY:
        found.append(
            Error(
                "BEHIND_HTTPS_PROXY には MADOGUCHI_TRUSTED_PROXY (プロキシのアドレス) が必要です",
                id="madoguchi.E010",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        found.append(
            Warning(
                f"MADOGUCHI_SITE_URL ({settings.SITE_URL}) が https ではありません",
                hint="職員が開くアドレス (https://…) を設定してください",
                id="madoguchi.W013",
            )
        )
    # Django's own checks of these speak English; these say the same in Japanese, and
    # Django's are silenced (settings.SILENCED_SYSTEM_CHECKS). HTTP → HTTPS is the proxy's.
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        found.append(
            Warning(
                "クッキーが HTTPS 限定になっていません",
                hint="HTTPS のプロキシの後ろでは BEHIND_HTTPS_PROXY=1 (または SECURE_COOKIES=1)",
                id="madoguchi.W014",
            )
        )
    if not settings.SECURE_HSTS_SECONDS:
        found.append(
            Warning(
                "HSTS が設定されていません (SECURE_HSTS_SECONDS=0)",
                hint="HTTPS のプロキシの後ろでは BEHIND_HTTPS_PROXY=1 で 1 年になります",
                id="madoguchi.W015",
            )
        )
    if settings.DEBUG:
        found.append(Error("DEBUG が有効です", id="madoguchi.E011"))
    # 会議録 installed (the minutes extra) but nothing to transcribe with: the audio of every
    # meeting would wait.
    model = settings.WHISPER_MODEL_DIR / "model.bin"
    if importlib.util.find_spec("faster_whisper") is not None and not model.is_file():
        found.append(
            Warning(
                f"会議録の音声認識モデルがありません ({settings.WHISPER_MODEL_DIR})",
                hint="madoguchi minutes install-model を実行するか、MADOGUCHI_WHISPER_MODEL に"
                "モデルのフォルダを指定してください (docs/minutes.md)",
                id="madoguchi.W016",
            )
        )
    return found
