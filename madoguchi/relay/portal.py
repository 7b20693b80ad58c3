"""Client of the portal's 電子申請等情報受取等API (PULL): login → list → get, and status."""

from __future__ import annotations

import hashlib
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_PACKAGE_BYTES = 60 * 1024 * 1024
# A call that fails (5xx, timeout, cut-off body) is tried this many times, a moment apart,
# before the relay gives up on it for this pass.
ATTEMPTS = 3
RETRY_DELAY = 0.5


class PortalError(Exception):
    pass


@dataclass(frozen=True)
class Listed:
    receipt_number: str
    procedure_id: str
    sha256: str


class PortalClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        timeout: float = 30,
        retry_delay: float = RETRY_DELAY,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise PortalError(f"portal URL must be http(s): {base_url}")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.retry_delay = retry_delay
        self._token: str | None = None
        self._token_expires = 0.0

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, auth: bool = True
    ) -> bytes:
        """One call; an expired or revoked token is renewed once and the call repeated."""
        for attempt in (1, 2):
            try:
                return self._send(method, path, body, auth)
            except urllib.error.HTTPError as exc:
                if exc.code == 401 and auth and attempt == 1:
                    self._token = None
                    continue
                raise PortalError(f"{method} {path}: HTTP {exc.code}") from exc
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, body: dict[str, Any] | None, auth: bool) -> bytes:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload: bytes = response.read(MAX_PACKAGE_BYTES + 1)
        except urllib.error.HTTPError:
            raise
        except (
            urllib.error.URLError,
            http.client.HTTPException,
            TimeoutError,
            ConnectionError,
        ) as exc:
            raise PortalError(f"{method} {path}: {exc!r}") from exc
        if len(payload) > MAX_PACKAGE_BYTES:
            raise PortalError(f"{method} {path}: response too large")
        return payload

    def _retrying(self, method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._request(method, path, body)
            except PortalError:
                if attempt == ATTEMPTS:
                    raise
                time.sleep(self.retry_delay * attempt)
        raise AssertionError("unreachable")

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        payload = self._retrying(method, path, body)
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise PortalError(f"{method} {path}: not JSON") from exc

    def token(self) -> str:
        if self._token is None or time.monotonic() > self._token_expires - 5:
            try:
                payload = self._send(
                    "POST",
                    "/api/v1/auth/token",
                    {"client_id": self.client_id, "client_secret": self.client_secret},
                    auth=False,
                )
            except urllib.error.HTTPError as exc:
                raise PortalError(f"login: HTTP {exc.code}") from exc
            try:
                answer = json.loads(payload)
                self._token = str(answer["access_token"])
                self._token_expires = time.monotonic() + float(answer.get("expires_in", 300))
            except (ValueError, KeyError, TypeError) as exc:
                raise PortalError("login: unexpected answer") from exc
        return self._token

    def list_applications(self, per_page: int = 100, max_pages: int = 1000) -> Iterator[Listed]:
        """Every listed application once, though the portal may repeat or reorder them.

        A listing whose next page does not advance, or that runs past ``max_pages`` in one
        pass, is cut off with a PortalError: the next pass starts again from page 1."""
        seen: set[str] = set()
        page = 1
        for _pages in range(max_pages):
            path = f"/api/v1/applications?page={page}&per_page={per_page}"
            answer = self._json("GET", path)
            try:
                items = [
                    Listed(str(i["receipt_number"]), str(i["procedure_id"]), str(i["sha256"]))
                    for i in answer["items"]
                ]
                next_page = int(answer["next_page"]) if answer.get("next_page") else None
            except (KeyError, TypeError, ValueError) as exc:
                raise PortalError(f"GET {path}: unexpected listing") from exc
            for listed in items:
                if listed.receipt_number not in seen:
                    seen.add(listed.receipt_number)
                    yield listed
            if next_page is None:
                return
            if next_page <= page:
                raise PortalError(f"GET {path}: next_page {next_page} does not advance")
            page = next_page
        raise PortalError(f"listing longer than {max_pages} pages; the rest next pass")

    def get_package(self, listed: Listed) -> bytes:
        quoted = urllib.parse.quote(listed.receipt_number, safe="")
        for attempt in range(1, ATTEMPTS + 1):
            try:
                payload = self._request("GET", f"/api/v1/applications/{quoted}/package")
            except PortalError:
                if attempt == ATTEMPTS:
                    raise
            else:
                if hashlib.sha256(payload).hexdigest() == listed.sha256:
                    return payload
                if attempt == ATTEMPTS:
                    raise PortalError(f"{listed.receipt_number}: package digest differs")
            time.sleep(self.retry_delay * attempt)
        raise AssertionError("unreachable")

    def post_status(self, receipt_number: str, status: str, message: str, ref: str) -> None:
        quoted = urllib.parse.quote(receipt_number, safe="")
        self._json(
            "POST",
            f"/api/v1/applications/{quoted}/status",
            {"status": status, "message": message, "ref": ref},
        )
