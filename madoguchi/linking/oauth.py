"""OAuth2 for the core-system API, as the 共通機能標準仕様書 (§2.2.5 API認証) asks: client
credentials with client_secret_jwt (RFC 7523; client_secret_basic allowed for now), short
access tokens, no refresh token, introspection (RFC 7662) and revocation (RFC 7009); scopes
``${業務ID}:${リソース名}:${操作名}``. Built on Authlib (the grant, the client assertion and
the two endpoints, each an RFC it implements), not by hand.

Two modes (settings.OAUTH_MODE): ``local`` — madoguchi is the authorization server
(/oauth/token, /oauth/introspect, /oauth/revoke; clients registered by
``madoguchi linking client``); ``introspect`` — the municipality's authorization server issues
the tokens and madoguchi asks its introspection endpoint about each.
"""

from __future__ import annotations

import base64
import contextvars
import datetime as dt
import hashlib
import json
import secrets
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError
from urllib.parse import urlencode

from authlib.integrations.django_oauth2 import AuthorizationServer  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import ClientMixin, grants  # type: ignore[import-untyped]
from authlib.oauth2.rfc7009 import RevocationEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion  # type: ignore[import-untyped]
from authlib.oauth2.rfc7662 import IntrospectionEndpoint  # type: ignore[import-untyped]
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from joserfc.jwk import OctKey

from madoguchi.residents import crypto

from .models import OAuthAssertion, OAuthClient, OAuthToken

# The operations of the records resource (方式3), by HTTP method.
OPERATIONS = {"GET": "read", "POST": "acknowledge"}
# The token endpoint's own address, for the assertions' audience (set per request).
_audience: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("audience", default=())


def scopes_for(business_id: str) -> list[str]:
    return [f"{business_id}:records:{operation}" for operation in OPERATIONS.values()]


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Client(ClientMixin):
    """An OAuthClient as Authlib asks about it."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.client_id = row.client_id
        self.client_secret = crypto.decrypt(bytes(row.secret))

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: str) -> str:
        allowed = scopes_for(self.row.business_id)
        wanted = scope.split() if scope else allowed
        return " ".join(s for s in wanted if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_jwt", "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_jwt", "client_secret_basic"]


class SecretJWT(JWTBearerClientAssertion):
    """client_secret_jwt (RFC 7523 §2.2 with the client's secret as the HMAC key): the
    audience is this token endpoint; each jti is used once."""

    CLIENT_AUTH_METHOD = "client_secret_jwt"

    def resolve_client_public_key(self, client: Client) -> Any:
        return OctKey.import_key(client.client_secret)

    def get_audiences(self) -> list[str]:
        return list(_audience.get())

    def validate_jti(self, claims: Any, jti: str) -> bool:
        expires = dt.datetime.fromtimestamp(int(claims["exp"]), tz=dt.UTC)
        OAuthAssertion.objects.filter(expires_at__lt=timezone.now()).delete()
        try:
            with transaction.atomic():
                OAuthAssertion.objects.create(
                    jti=f"{claims['sub']}:{jti}"[:300], expires_at=expires
                )
        except IntegrityError:
            return False
        return True


class Server(AuthorizationServer):
    def query_client(self, client_id: str) -> Client | None:
        row = OAuthClient.objects.filter(client_id=client_id, revoked_at=None).first()
        return Client(row) if row else None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        now = timezone.now()
        OAuthToken.objects.create(
            client=request.client.row,
            token_sha256=_sha256(token["access_token"]),
            scope=token.get("scope", ""),
            issued_at=now,
            expires_at=now + dt.timedelta(seconds=int(token["expires_in"])),
        )


class _Owned:
    """Introspection and revocation: a client asks about (or revokes) its own tokens only."""

    def query_token(self, token: str, token_type_hint: str | None) -> OAuthToken | None:
        return (
            OAuthToken.objects.select_related("client").filter(token_sha256=_sha256(token)).first()
        )

    def check_permission(self, token: OAuthToken, client: Client, request: Any) -> bool:
        return token.client_id == client.row.pk


class Introspection(_Owned, IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_jwt", "client_secret_basic"]

    def introspect_token(self, token: OAuthToken) -> dict[str, Any]:
        return {
            "active": token.revoked_at is None and token.expires_at > timezone.now(),
            "client_id": token.client.client_id,
            "scope": token.scope,
            "token_type": "Bearer",
            "exp": int(token.expires_at.timestamp()),
            "iat": int(token.issued_at.timestamp()),
        }


class Revocation(_Owned, RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_jwt", "client_secret_basic"]

    def revoke_token(self, token: OAuthToken, request: Any) -> None:
        OAuthToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def _server() -> Server:
    server = Server(OAuthClient, OAuthToken)
    server.load_config(
        {
            "token_expires_in": {"client_credentials": settings.OAUTH_TOKEN_SECONDS},
            "refresh_token_generator": False,
        }
    )
    server.register_client_auth_method(SecretJWT.CLIENT_AUTH_METHOD, SecretJWT())
    server.register_grant(ClientCredentials)
    server.register_endpoint(Introspection)
    server.register_endpoint(Revocation)
    return server


SERVER = _server()


def _answer(request: HttpRequest, endpoint: str | None) -> HttpResponse:
    if settings.OAUTH_MODE != "local":
        return HttpResponse(status=404)
    _audience.set((request.build_absolute_uri("/oauth/token"),))
    if endpoint is None:
        return SERVER.create_token_response(request)
    return SERVER.create_endpoint_response(endpoint, request)


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    return _answer(request, None)


@csrf_exempt
@require_POST
def introspect(request: HttpRequest) -> HttpResponse:
    return _answer(request, Introspection.ENDPOINT_NAME)


@csrf_exempt
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    return _answer(request, Revocation.ENDPOINT_NAME)


@dataclass(frozen=True)
class Access:
    """What a bearer token allows: its scopes (active and unexpired, or none)."""

    scopes: frozenset[str]


def access_of(token: str) -> Access | None:
    """The token's scopes, or None when it is not (or no longer) a token at all: here, or at
    the municipality's authorization server by introspection."""
    if settings.OAUTH_MODE == "introspect":
        return _introspected(token)
    found = (
        OAuthToken.objects.filter(
            token_sha256=_sha256(token),
            revoked_at=None,
            expires_at__gt=timezone.now(),
            client__revoked_at=None,
        )
        .values_list("scope", flat=True)
        .first()
    )
    return Access(frozenset(found.split())) if found is not None else None


def _introspected(token: str) -> Access | None:
    body = urlencode({"token": token, "token_type_hint": "access_token"}).encode()
    if not settings.OAUTH_INTROSPECTION_URL.startswith(("https://", "http://")):
        return None
    ask = urllib.request.Request(  # noqa: S310 (an http(s) URL the administrator configured)
        settings.OAUTH_INTROSPECTION_URL, data=body, method="POST"
    )
    ask.add_header("Content-Type", "application/x-www-form-urlencoded")
    basic = f"{settings.OAUTH_INTROSPECTION_CLIENT_ID}:{settings.OAUTH_INTROSPECTION_SECRET}"
    ask.add_header("Authorization", "Basic " + base64.b64encode(basic.encode()).decode())
    try:
        with urllib.request.urlopen(ask, timeout=5) as answer:  # noqa: S310 (a configured URL)
            found = json.loads(answer.read())
    except (URLError, ValueError, OSError):
        return None
    if not isinstance(found, dict) or found.get("active") is not True:
        return None
    return Access(frozenset(str(found.get("scope", "")).split()))
