"""Security headers, login lockout, and the audit search (who saw this resident?)."""

from __future__ import annotations

import urllib.parse

import pytest
from django.test import Client

from conftest import PASSWORD, sign_in
from madoguchi.accounts.models import User
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.lib import totp

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client, counter_clerk):
    response = client.get("/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    sign_in(client, counter_clerk)
    assert client.get("/applications/").headers["Cache-Control"] == "no-store"


def login(client, username: str, password: str) -> str:
    return client.post("/login/", {"username": username, "password": password}).content.decode()


def test_repeated_failures_lock_the_user_even_with_the_right_password(
    client, counter_clerk, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert "ユーザー名またはパスワードが正しくありません" in login(client, "madoka", "wrong")
    page = login(client, "madoka", PASSWORD)
    assert "ロックされています" in page
    assert "_auth_user_id" not in client.session
    # The three failures, and the attempt refused while locked (right password or not).
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 4


def test_a_success_before_the_limit_resets_the_count(client, counter_clerk, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    login(client, "madoka", "wrong")
    login(client, "madoka", "wrong")
    client.post("/login/", {"username": "madoka", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(counter_clerk.pk)
    client.post("/logout/")
    login(client, "madoka", "wrong")
    client.post("/login/", {"username": "madoka", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(counter_clerk.pk)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_SUCCEEDED).count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT).count() == 1


def test_who_saw_this_resident(client, trusted, reviewer, counter_clerk, administrator):
    path = next(g.path for g in trusted.generated if g.procedure_id == "jidou-teate-nintei")
    import_package(path.read_bytes(), path.name)
    application = Application.objects.get()
    sign_in(client, reviewer)
    client.get(f"/applications/{application.receipt_number}/")
    client.post(f"/applications/{application.receipt_number}/my-number/")
    sign_in(client, administrator)
    page = client.get("/audit/", {"target": application.resident.atena_number}).content.decode()
    assert "申請閲覧" in page and "個人番号閲覧" in page and "shinsa" in page
    sign_in(client, counter_clerk)
    assert client.get("/audit/").status_code == 403


def test_a_reviewer_must_enrol_and_give_a_code_before_anything_else(client, reviewer):
    client.post("/login/", {"username": reviewer.username, "password": PASSWORD})
    response = client.get("/applications/")
    assert response.status_code == 302 and response["Location"].startswith("/second-factor/")
    page = client.get("/second-factor/").content.decode()
    secret = page.split('data-testid="totp-secret">')[1].split("<")[0]
    # The key also as a QR code of the otpauth URI, a picture without script.
    qr = page.split('data-testid="totp-qr"')[0].rsplit('src="', 1)[1].split('"')[0]
    assert qr.startswith("data:image/svg+xml")
    assert "<script" not in urllib.parse.unquote(qr)
    assert f"secret={secret}" in page
    wrong = str((int(totp.code_at(secret, totp.counter_now())) + 1) % 1_000_000).zfill(6)
    assert (
        "確認コードが正しくない" in client.post("/second-factor/", {"code": wrong}).content.decode()
    )
    code = totp.code_at(secret, totp.counter_now())
    assert client.post("/second-factor/", {"code": code}).status_code == 302
    assert client.get("/applications/").status_code == 200
    reviewer.refresh_from_db()
    assert reviewer.totp_secret == secret
    assert AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_ENROLLED).exists()


def test_a_used_code_is_refused_the_next_time(client, reviewer):
    secret = totp.new_secret()
    User.objects.filter(pk=reviewer.pk).update(totp_secret=secret)
    code = totp.code_at(secret, totp.counter_now())
    client.post("/login/", {"username": reviewer.username, "password": PASSWORD})
    assert client.post("/second-factor/", {"code": code}).status_code == 302
    client.post("/logout/")
    client.post("/login/", {"username": reviewer.username, "password": PASSWORD})
    page = client.post("/second-factor/", {"code": code}).content.decode()
    assert "すでに使われています" in page
    assert client.get("/applications/").status_code == 302


def test_a_counter_clerk_needs_no_second_factor(client, counter_clerk):
    client.post("/login/", {"username": counter_clerk.username, "password": PASSWORD})
    assert client.get("/applications/").status_code == 200


def test_logout_everywhere_ends_the_other_sessions(counter_clerk):
    office, home = Client(), Client()
    for client in (office, home):
        client.post("/login/", {"username": counter_clerk.username, "password": PASSWORD})
        assert client.get("/applications/").status_code == 200
    office.post("/logout/everywhere/")
    assert home.get("/applications/")["Location"].startswith("/login/")
    assert office.get("/applications/")["Location"].startswith("/login/")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT_EVERYWHERE).count() == 1
    home.post("/login/", {"username": counter_clerk.username, "password": PASSWORD})
    assert home.get("/applications/").status_code == 200
