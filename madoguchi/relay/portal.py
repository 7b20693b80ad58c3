"""Client of the portal's 電子申請等情報受取等API (PULL): login → list → get."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_PACKAGE_BYTES = 60 * 1024 * 1024


class PortalError(Exception):
    pass


@dataclass(frozen=True)
class Listed:
    receipt_number: str
    procedure_id: str
    sha256: str


class PortalClient:
    def __init__(self, base_url: str, client_id: str, client_secret: str, timeout: float = 30):
        if not base_url.startswith(("http://", "https://")):
            raise PortalError(f"portal URL must be http(s): {base_url}")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self._token: str | None = None
        self._token_expires = 0.0

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, auth: bool = True
    ) -> tuple[bytes, dict[str, str]]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = response.read(MAX_PACKAGE_BYTES + 1)
                if len(payload) > MAX_PACKAGE_BYTES:
                    raise PortalError("response too large")
                return payload, dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            if exc.code == 401 and auth:
                self._token = None
            raise PortalError(f"{method} {path}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise PortalError(f"{method} {path}: {exc}") from exc

    def token(self) -> str:
        if self._token is None or time.monotonic() > self._token_expires - 30:
            payload, _ = self._request(
                "POST",
                "/api/v1/auth/token",
                {"client_id": self.client_id, "client_secret": self.client_secret},
                auth=False,
            )
            answer = json.loads(payload)
            self._token = str(answer["access_token"])
            self._token_expires = time.monotonic() + float(answer.get("expires_in", 300))
        return self._token

    def list_applications(self) -> Iterator[Listed]:
        page = 1
        while True:
            payload, _ = self._request("GET", f"/api/v1/applications?page={page}&per_page=100")
            answer = json.loads(payload)
            for item in answer["items"]:
                yield Listed(item["receipt_number"], item["procedure_id"], item["sha256"])
            if not answer.get("next_page"):
                return
            page = int(answer["next_page"])

    def get_package(self, listed: Listed) -> bytes:
        quoted = urllib.parse.quote(listed.receipt_number, safe="")
        payload, _ = self._request("GET", f"/api/v1/applications/{quoted}/package")
        if hashlib.sha256(payload).hexdigest() != listed.sha256:
            raise PortalError(f"{listed.receipt_number}: package digest differs from the listing")
        return payload
