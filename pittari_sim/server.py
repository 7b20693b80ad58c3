"""``pittari-sim serve``: the portal's 電子申請等情報受取等API (PULL), on 127.0.0.1.

POST /api/v1/auth/token                     {"client_id", "client_secret"} → access_token
GET  /api/v1/applications?page=&per_page=   the listing, oldest first, paged
GET  /api/v1/applications/<受付番号>/package the package (ZIP) as submitted
GET  /crl/ca.crl                            the test CA's current CRL (DER), freshly signed
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from .generate import load_or_create_ca

TOKEN_SECONDS = 600
PACKAGE_PATH = re.compile(r"^/api/v1/applications/([0-9A-Za-z-]{1,40})/package$")


@dataclass(frozen=True)
class Entry:
    receipt_number: str
    procedure_id: str
    submitted_at: str
    sha256: str
    path: Path


class Portal:
    def __init__(
        self,
        data: Path,
        client_id: str,
        client_secret: str,
        release_initial: int | None = None,
        release_every: float | None = None,
    ) -> None:
        self.data = data
        self.packages = data / "packages"
        self.client_id = client_id
        self.client_secret = client_secret
        self.release_initial = release_initial
        self.release_every = release_every
        self.started = time.monotonic()
        self.tokens: dict[str, float] = {}
        self.lock = threading.Lock()
        self._index: dict[Path, Entry] = {}

    def issue_token(self, client_id: str, client_secret: str) -> str | None:
        if not (
            hmac.compare_digest(client_id, self.client_id)
            and hmac.compare_digest(client_secret, self.client_secret)
        ):
            return None
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.monotonic() + TOKEN_SECONDS
        return token

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expires = self.tokens.get(token)
        return expires is not None and expires > time.monotonic()

    def current_crl(self) -> bytes | None:
        """A CRL signed now, like a CA's distribution point (revoked serials in ca/revoked.csv)."""
        if not (self.data / "ca" / "ca-key.pem").exists():
            return None
        ca = load_or_create_ca(self.data)
        revoked_file = self.data / "ca" / "revoked.csv"
        revoked = []
        if revoked_file.exists():
            for line in revoked_file.read_text().splitlines():
                serial, when = line.split(",")
                revoked.append((int(serial, 16), dt.datetime.fromisoformat(when)))
        return ca.crl(revoked, number=int(time.time()))

    def entries(self) -> list[Entry]:
        """Every package in the folder (new files are picked up), oldest first."""
        with self.lock:
            for path in self.packages.glob("*.zip"):
                if path not in self._index:
                    entry = _entry(path)
                    if entry is not None:
                        self._index[path] = entry
            entries = sorted(self._index.values(), key=lambda e: (e.submitted_at, e.receipt_number))
        if self.release_initial is not None and self.release_every:
            released = self.release_initial + int(
                (time.monotonic() - self.started) / self.release_every
            )
            entries = entries[:released]
        return entries


def _entry(path: Path) -> Entry | None:
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(path) as archive:
            envelope = json.loads(archive.read("envelope.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        envelope = {"receipt_number": path.stem, "procedure_id": "", "submitted_at": ""}
    return Entry(
        receipt_number=str(envelope.get("receipt_number", path.stem)),
        procedure_id=str(envelope.get("procedure_id", "")),
        submitted_at=str(envelope.get("submitted_at", "")),
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
    )


class Handler(BaseHTTPRequestHandler):
    portal: Portal
    server_version = "pittari-sim/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _bytes(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer ") and self.portal.token_valid(header[7:]):
            return True
        self._json(401, {"error": "invalid_token"})
        return False

    def do_POST(self) -> None:  # noqa: N802 (stdlib name)
        if self.path != "/api/v1/auth/token":
            self._json(404, {"error": "not_found"})
            return
        length = min(int(self.headers.get("Content-Length", "0") or 0), 10_000)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            token = self.portal.issue_token(str(body["client_id"]), str(body["client_secret"]))
        except (ValueError, KeyError, TypeError):
            self._json(400, {"error": "invalid_request"})
            return
        if token is None:
            self._json(401, {"error": "invalid_client"})
            return
        self._json(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS}
        )

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        url = urlparse(self.path)
        if url.path == "/api/v1/applications":
            if self._authorised():
                self._list(parse_qs(url.query))
            return
        if url.path == "/crl/ca.crl":
            crl = self.portal.current_crl()
            if crl is None:
                self._json(404, {"error": "not_found"})
            else:
                self._bytes(crl, "application/pkix-crl")
            return
        match = PACKAGE_PATH.match(url.path)
        if match:
            if self._authorised():
                self._package(match.group(1))
            return
        self._json(404, {"error": "not_found"})

    def _list(self, query: dict[str, list[str]]) -> None:
        try:
            page = max(1, int(query.get("page", ["1"])[0]))
            per_page = min(500, max(1, int(query.get("per_page", ["100"])[0])))
        except ValueError:
            self._json(400, {"error": "invalid_request"})
            return
        entries = self.portal.entries()
        chunk = entries[(page - 1) * per_page : page * per_page]
        self._json(
            200,
            {
                "items": [
                    {
                        "receipt_number": e.receipt_number,
                        "procedure_id": e.procedure_id,
                        "submitted_at": e.submitted_at,
                        "sha256": e.sha256,
                    }
                    for e in chunk
                ],
                "total": len(entries),
                "next_page": page + 1 if page * per_page < len(entries) else None,
            },
        )

    def _package(self, receipt_number: str) -> None:
        for entry in self.portal.entries():
            if entry.receipt_number == receipt_number:
                self._bytes(entry.path.read_bytes(), "application/zip")
                return
        self._json(404, {"error": "not_found"})


def make_server(portal: Portal, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    handler = type("PortalHandler", (Handler,), {"portal": portal})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
