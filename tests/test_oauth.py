"""OAuth2 for the core-system API (共通機能標準仕様書 §2.2.5), from the core system's side: the
client below is written against the standard — requests and PyJWT — not against madoguchi."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import jwt
import pytest
import requests
from django.core.management import call_command

from madoguchi.linking.models import OAuthToken
from tests.test_linking import kaigo_application

pytestmark = pytest.mark.django_db(transaction=True)
ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def assertion(base: str, client_id: str, secret: str, **claims: object) -> str:
    """A client_secret_jwt assertion (RFC 7523): HS256 over the client's secret."""
    now = int(time.time())
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{base}/oauth/token",
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    } | claims
    return jwt.encode(payload, secret, algorithm="HS256")


def token(base: str, signed: str, scope: str = "") -> requests.Response:
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION,
        "client_assertion": signed,
    }
    return post(f"{base}/oauth/token", data=data | ({"scope": scope} if scope else {}))


def register(capsys: Any, core_system: str, business_id: str) -> tuple[str, str]:
    call_command("linking", "client", core_system, "--business-id", business_id, "--json")
    found = json.loads(capsys.readouterr().out)
    return found["client_id"], found["client_secret"]


def get(url: str, **given: Any) -> requests.Response:
    return requests.get(url, timeout=10, **given)


def post(url: str, **given: Any) -> requests.Response:
    return requests.post(url, timeout=10, **given)


def test_a_core_system_takes_a_token_by_client_secret_jwt_and_pulls_its_records(
    live_server, configure, trusted, kaigo_reviewer, settings, capsys
):
    configure('[kaigo_hoken]\nmethod = "pull_api"\nbusiness_id = "KAIGO"\n')
    application = kaigo_application(trusted, kaigo_reviewer)
    base = live_server.url
    client_id, secret = register(capsys, "kaigo_hoken", "KAIGO")

    issued = token(base, assertion(base, client_id, secret))
    assert issued.status_code == 200, issued.text
    assert issued.headers["Content-Type"].startswith("application/json"), issued.text[:300]
    body = issued.json()
    assert body["token_type"].lower() == "bearer" and body["expires_in"] == 300
    assert "refresh_token" not in body
    assert set(body["scope"].split()) == {"KAIGO:records:read", "KAIGO:records:acknowledge"}
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    records = f"{base}/api/v1/core-systems/kaigo_hoken/records"
    listed = get(records, headers=bearer).json()["results"]
    assert [r["receipt_number"] for r in listed] == [application.receipt_number]
    one = f"{records}/{application.receipt_number}"
    assert get(one, headers=bearer).status_code == 200
    done = post(f"{one}/acknowledgement", headers=bearer, json={"result": "ok"})
    assert done.status_code == 200 and done.json()["state"] == "acknowledged"

    # The same assertion twice, or one signed with another secret: no token.
    # (RFC 6749 §5.2: invalid_client, 400 when the client did not use the Authorization header.)
    used = assertion(base, client_id, secret)
    assert token(base, used).status_code == 200
    for refused in (
        used,
        assertion(base, client_id, "not-the-secret-" * 3),
        assertion(base, client_id, secret, aud="https://elsewhere/"),
        assertion(base, client_id, secret, exp=int(time.time()) - 600),
    ):
        answer = token(base, refused)
        assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client"

    # Read only: acknowledging is forbidden. Another 業務's token: forbidden here.
    reader = token(base, assertion(base, client_id, secret), scope="KAIGO:records:read").json()
    reading = {"Authorization": f"Bearer {reader['access_token']}"}
    assert get(records, headers=reading).status_code == 200
    refused = post(f"{one}/acknowledgement", headers=reading, json={"result": "ok"})
    assert refused.status_code == 403
    other_id, other_secret = register(capsys, "jidou_teate", "JIDOU")
    other = token(base, assertion(base, other_id, other_secret)).json()["access_token"]
    assert get(records, headers={"Authorization": f"Bearer {other}"}).status_code == 403

    # Introspection and revocation, each by the client about its own token.
    introspected = post(
        f"{base}/oauth/introspect", data={"token": reader["access_token"]}, auth=(client_id, secret)
    ).json()
    assert introspected["active"] is True and introspected["scope"] == "KAIGO:records:read"
    # Another client's token: told nothing of it (RFC 7662 §2.2: inactive to this caller).
    foreign = post(f"{base}/oauth/introspect", data={"token": other}, auth=(client_id, secret))
    assert foreign.json() == {"active": False}
    revoked = post(
        f"{base}/oauth/revoke", data={"token": reader["access_token"]}, auth=(client_id, secret)
    )
    assert revoked.status_code == 200
    assert get(records, headers=reading).status_code == 401

    # An expired token: 401, and the static tokens can be switched off.
    OAuthToken.objects.update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert get(records, headers=bearer).status_code == 401
    call_command("linking", "token", "kaigo_hoken")
    static = {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}
    assert get(records, headers=static).status_code == 200
    settings.STATIC_CORE_TOKENS = False
    assert get(records, headers=static).status_code == 401


AUTHORIZATION_SERVER = r"""
import base64, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

TOKENS = {"good": "KAIGO:records:read KAIGO:records:acknowledge", "other": "JIDOU:records:read"}
EXPECTED = "Basic " + base64.b64encode(b"madoguchi:rs-secret").decode()

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if self.headers.get("Authorization") != EXPECTED:
            self.send_response(401)
            self.end_headers()
            return
        token = body.get("token", [""])[0]
        answer = {"active": True, "scope": TOKENS[token]} if token in TOKENS else {"active": False}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def test_with_the_municipalitys_authorization_server_each_token_is_introspected(
    client, configure, trusted, kaigo_reviewer, settings
):
    """MADOGUCHI_OAUTH_MODE=introspect: an authorization server in a process of its own issues
    the tokens; madoguchi asks its introspection endpoint (RFC 7662) about each and reads the
    scopes; its own /oauth/token is closed."""
    import subprocess
    import sys

    configure('[kaigo_hoken]\nmethod = "pull_api"\nbusiness_id = "KAIGO"\n')
    kaigo_application(trusted, kaigo_reviewer)
    server = subprocess.Popen(
        [sys.executable, "-c", AUTHORIZATION_SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(server.stdout.readline())
        settings.OAUTH_MODE = "introspect"
        settings.OAUTH_INTROSPECTION_URL = f"http://127.0.0.1:{port}/introspect"
        settings.OAUTH_INTROSPECTION_CLIENT_ID = "madoguchi"
        settings.OAUTH_INTROSPECTION_SECRET = "rs-secret"
        records = "/api/v1/core-systems/kaigo_hoken/records"

        def status(bearer: str) -> int:
            return client.get(records, HTTP_AUTHORIZATION=f"Bearer {bearer}").status_code

        assert status("good") == 200
        assert status("other") == 403  # another 業務's
        assert status("unknown") == 401
        assert client.post("/oauth/token", {"grant_type": "client_credentials"}).status_code == 404
        settings.OAUTH_INTROSPECTION_SECRET = "wrong"
        assert status("good") == 401  # the server refuses madoguchi: no token is taken
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_openapi_names_the_oauth2_flow_and_each_operations_scope():
    """A vendor's generator reads how to get a token and which scope each call needs."""
    from madoguchi.api.openapi import schema

    described = schema()
    flow = described["components"]["securitySchemes"]["coreSystemOAuth2"]["flows"]
    assert flow["clientCredentials"]["tokenUrl"] == "/oauth/token"
    scopes = {
        (path, method): entry["security"][0]["coreSystemOAuth2"]
        for path, methods in described["paths"].items()
        if path.startswith("/core-systems/")
        for method, entry in methods.items()
    }
    assert scopes and all(
        s in (["{業務ID}:records:read"], ["{業務ID}:records:acknowledge"]) for s in scopes.values()
    )
    assert {m for (_p, m), s in scopes.items() if s == ["{業務ID}:records:acknowledge"]} == {"post"}
