"""A production start: every secret given, none generated; the relay's host holds only its
own; the relay fetches nothing before the 申請管理 side's key is pinned; `madoguchi check
--deploy` names what is missing."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

from madoguchi.relay.passes import pull_once
from madoguchi.relay.portal import Listed, PortalClient
from madoguchi.relay.spool import Spool, public_key_of

SECRETS = (
    "SECRET_KEY",
    "MADOGUCHI_MY_NUMBER_KEYS",
    "MADOGUCHI_AUDIT_KEYS",
    "MADOGUCHI_RELAY_HANDOFF_KEY",
    "MADOGUCHI_SPOOL_PRIVATE_KEY",
    "MADOGUCHI_PORTAL_CLIENT_SECRET",
)


def clean_env(data: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not any(k.startswith(name) for name in SECRETS) and k != "DATABASE_URL"
    }
    return {**env, "MADOGUCHI_DATA_DIR": str(data), **extra}


def madoguchi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "madoguchi", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_and_names_it(tmp_path):
    data = tmp_path / "app"
    done = madoguchi(clean_env(data, MADOGUCHI_PRODUCTION="1"), "status")
    assert done.returncode == 1
    assert "設定エラー: SECRET_KEY (または SECRET_KEY_FILE) が設定されていません" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(data.iterdir()) == []  # nothing generated


def test_the_relay_host_makes_no_key_it_does_not_use_and_waits_for_the_pinned_key(tmp_path):
    data = tmp_path / "relay"
    env = clean_env(
        data,
        MADOGUCHI_PRODUCTION="1",
        MADOGUCHI_COMPONENT="relay",
        MADOGUCHI_RELAY_HANDOFF_KEY="hand-over",
        MADOGUCHI_PORTAL_CLIENT_SECRET="portal",
        MADOGUCHI_PORTAL_URL="http://127.0.0.1:9",
    )
    done = madoguchi(env, "relay", "run", "--once")
    assert done.returncode == 1
    assert "申請管理側の公開鍵がスプールにまだありません" in done.stderr
    files = {p.relative_to(data).parts[0] for p in data.rglob("*") if p.is_file()}
    assert files <= {"spool"}, files  # no secret_key, audit-key, my-number-key …


def test_the_relay_fetches_nothing_before_the_key_is_published(tmp_path, settings, monkeypatch):
    spool = Spool(tmp_path / "spool", b"k", pin=tmp_path / "pin.pub")
    client = PortalClient("http://127.0.0.1:9", "madoguchi-demo", "s")
    fetched: list[str] = []
    monkeypatch.setattr(
        client, "list_applications", lambda: iter([Listed("2026120100000001", "x", "0")])
    )
    monkeypatch.setattr(client, "get_package", lambda listed: fetched.append("x") or b"PK..")
    result = pull_once(client, spool)
    assert (result.waiting_for_key, result.fetched, fetched) == (True, 0, [])
    assert list(spool.incoming.iterdir()) == []

    spool.publish_seal_key(public_key_of(settings.SPOOL_PRIVATE_KEY))
    result = pull_once(client, spool)
    assert result.fetched == 1
    [spooled] = spool.pending()
    assert spooled.sealed


def test_check_deploy_is_quiet_for_a_production_configuration(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "MADOGUCHI_MY_NUMBER_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "MADOGUCHI_AUDIT_KEYS": secrets.token_hex(32),
        "MADOGUCHI_RELAY_HANDOFF_KEY": secrets.token_urlsafe(32),
        "MADOGUCHI_SPOOL_PRIVATE_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    files = {}
    for name, value in values.items():
        (keys / name).write_text(value)
        files[f"{name}_FILE"] = str(keys / name)
    env = clean_env(
        tmp_path / "app",
        MADOGUCHI_PRODUCTION="1",
        BEHIND_HTTPS_PROXY="1",
        MADOGUCHI_TRUSTED_PROXY="127.0.0.1",
        MADOGUCHI_SITE_URL="https://madoguchi.city.example.jp",
        ALLOWED_HOSTS="madoguchi.city.example.jp",
        MADOGUCHI_AUDIT_ANCHOR_FILE=str(tmp_path / "anchors" / "audit-anchors.jsonl"),
        MADOGUCHI_WHISPER_MODEL=str(tmp_path / "whisper"),
        **files,
    )
    without_model = madoguchi(env, "check", "--deploy")
    assert "madoguchi.W016" in without_model.stderr and "install-model" in without_model.stderr
    (tmp_path / "whisper").mkdir()
    (tmp_path / "whisper" / "model.bin").write_bytes(b"a model folder as install-model leaves")
    done = madoguchi(env, "check", "--deploy")
    assert done.returncode == 0, done.stderr
    assert "madoguchi." not in done.stderr + done.stdout

    weak = madoguchi(
        {**env, "BEHIND_HTTPS_PROXY": "0", "MADOGUCHI_PRODUCTION": "0"}, "check", "--deploy"
    )
    assert "madoguchi.W010" in weak.stderr and "madoguchi.W014" in weak.stderr
