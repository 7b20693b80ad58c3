"""``pittari-sim serve``: the portal's 電子申請等情報受取等API (PULL), on 127.0.0.1.

POST /api/v1/auth/token                       {"client_id", "client_secret"} → access_token
GET  /api/v1/applications                     listing: from, to (ISO), procedure_id, status,
                                              page, per_page; oldest first
GET  /api/v1/applications/<受付番号>           one application's metadata and status history
GET  /api/v1/applications/<受付番号>/package   the package (ZIP) as submitted
POST /api/v1/applications/<受付番号>/status    {"status", "message"}: shown to the applicant
GET  /api/v1/statuses                         the processing status codes
GET  /crl/ca.crl                              the test CA's current CRL (DER), freshly signed
GET  /                                        what applicants see: each application's status
POST /applicant/applications/<受付番号>/reply  the applicant answers a 補正 (返戻) request:
                                              {"form": {field: value}} changes (JSON, or an
                                              empty HTML form post from the page at /); a new
                                              application signed with the same card, naming
                                              the returned one in its signed CorrectionOf

Faults on demand (``--faults``) make it behave like a portal on a bad day: latency, 5xx
answers, truncated bodies, duplicate and out-of-order listings, tokens that expire early.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import json
import random
import re
import secrets
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from .generate import correction_reply, load_or_create_ca

RECEIPT = r"([0-9A-Za-z][0-9A-Za-z-]{0,39})"
ONE = re.compile(rf"^/api/v1/applications/{RECEIPT}$")
PACKAGE = re.compile(rf"^/api/v1/applications/{RECEIPT}/package$")
STATUS = re.compile(rf"^/api/v1/applications/{RECEIPT}/status$")
REPLY = re.compile(rf"^/applicant/applications/{RECEIPT}/reply$")
# Processing statuses as the portal shows them to the applicant.
STATUSES = {
    "received": "受付",
    "processing": "処理中",
    "returned": "返戻",
    "completed": "完了",
    "rejected": "却下",
    "withdrawn": "取下げ",
}


@dataclass
class Faults:
    latency: float = 0.0  # up to this many seconds before answering
    error: float = 0.0  # share of API answers that are 503
    truncate: float = 0.0  # share of package bodies cut short
    duplicate: float = 0.0  # share of listing items repeated on a later page
    reorder: bool = False  # shuffle each listing page
    token_ttl: float = 600.0  # seconds a token lives
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def parse(cls, text: str) -> Faults:
        """``latency=0.2,error=0.05,truncate=0.02,duplicate=0.05,reorder=1,token_ttl=30``."""
        faults = cls()
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition("=")
            if key == "reorder":
                faults.reorder = value not in ("0", "false", "")
            elif key in ("latency", "error", "truncate", "duplicate", "token_ttl"):
                setattr(faults, key, float(value))
            elif key == "seed":
                faults.seed = int(value)
            else:
                raise ValueError(f"unknown fault {key!r}")
        faults.rng = random.Random(faults.seed)
        return faults

    def chance(self, share: float) -> bool:
        return share > 0 and self.rng.random() < share


@dataclass(frozen=True)
class Entry:
    receipt_number: str
    procedure_id: str
    submitted_at: str
    sha256: str
    path: Path
    correction_of: str = ""


class Portal:
    def __init__(
        self,
        data: Path,
        client_id: str,
        client_secret: str,
        release_initial: int | None = None,
        release_every: float | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.data = data
        self.packages = data / "packages"
        self.status_log = data / "statuses.jsonl"
        self.client_id = client_id
        self.client_secret = client_secret
        self.release_initial = release_initial
        self.release_every = release_every
        self.faults = faults or Faults()
        self.started = time.monotonic()
        self.tokens: dict[str, float] = {}
        self.lock = threading.Lock()
        self._index: dict[Path, Entry] = {}
        self.history: dict[str, list[dict[str, str]]] = {}
        if self.status_log.exists():
            for line in self.status_log.read_text(encoding="utf-8").splitlines():
                event = json.loads(line)
                self.history.setdefault(event["receipt_number"], []).append(event)

    def issue_token(self, client_id: str, client_secret: str) -> str | None:
        if not (
            hmac.compare_digest(client_id, self.client_id)
            and hmac.compare_digest(client_secret, self.client_secret)
        ):
            return None
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.faults.token_ttl
        return token

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expires = self.tokens.get(token)
        return expires is not None and expires > time.monotonic()

    def entries(self) -> list[Entry]:
        """Every package in the folder (new files are picked up), oldest first."""
        with self.lock:
            for path in self.packages.glob("*.zip"):
                if path not in self._index:
                    self._index[path] = _entry(path)
            entries = sorted(self._index.values(), key=lambda e: (e.submitted_at, e.receipt_number))
        if self.release_initial is not None and self.release_every:
            elapsed = time.monotonic() - self.started
            released = self.release_initial + int(elapsed / self.release_every)
            # Replies to 補正 requests are there at once, whatever the release schedule.
            generated = [e for e in entries if not e.correction_of]
            shown = {e.receipt_number for e in generated[:released]}
            entries = [e for e in entries if e.correction_of or e.receipt_number in shown]
        return entries

    def reply(self, receipt_number: str, changes: dict[str, str]) -> str | None:
        """The applicant's 補正: a new signed application answering the returned one."""
        entry = self.find(receipt_number)
        if entry is None or self.status_of(receipt_number) != "returned":
            return None
        path = correction_reply(self.data, entry.path, changes)
        return path.stem if path is not None else None

    def find(self, receipt_number: str) -> Entry | None:
        return next((e for e in self.entries() if e.receipt_number == receipt_number), None)

    def status_of(self, receipt_number: str) -> str:
        events = self.history.get(receipt_number)
        return events[-1]["status"] if events else "received"

    def post_status(
        self, receipt_number: str, status: str, message: str, ref: str = ""
    ) -> dict[str, str]:
        """Record a status for the applicant; a repeated ``ref`` is recorded once."""
        with self.lock:
            for earlier in self.history.get(receipt_number, []):
                if ref and earlier.get("ref") == ref:
                    return earlier
        event = {
            "receipt_number": receipt_number,
            "status": status,
            "message": message,
            "ref": ref,
            "at": dt.datetime.now(dt.UTC).isoformat(),
        }
        with self.lock:
            self.history.setdefault(receipt_number, []).append(event)
            with open(self.status_log, "a", encoding="utf-8") as f:
                f.write(json.dumps(event, ensure_ascii=False) + "\n")
        return event

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


def _entry(path: Path) -> Entry:
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(path) as archive:
            envelope = json.loads(archive.read("envelope.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        envelope = {}
    return Entry(
        receipt_number=str(envelope.get("receipt_number", path.stem)),
        procedure_id=str(envelope.get("procedure_id", "")),
        submitted_at=str(envelope.get("submitted_at", "")),
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
        correction_of=str(envelope.get("correction_of", "")),
    )


class Handler(BaseHTTPRequestHandler):
    portal: Portal
    server_version = "pittari-sim/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass

    def _send(self, status: int, body: bytes, content_type: str, truncate: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if truncate else body)
        if truncate:
            self.close_connection = True

    def _json(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        self._send(status, payload, "application/json; charset=utf-8")

    def _faulty(self) -> bool:
        """Apply latency; answer 503 now and then. True when the request was answered."""
        faults = self.portal.faults
        if faults.latency:
            time.sleep(faults.rng.uniform(0, faults.latency))
        if faults.chance(faults.error):
            self._json(503, {"error": "service_unavailable"})
            return True
        return False

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer ") and self.portal.token_valid(header[7:]):
            return True
        self._json(401, {"error": "invalid_token"})
        return False

    def _body(self) -> Any:
        length = min(int(self.headers.get("Content-Length", "0") or 0), 100_000)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_POST(self) -> None:  # noqa: N802 (stdlib name)
        url = urlparse(self.path)
        if match := REPLY.match(url.path):
            self._reply(match.group(1))
            return
        if url.path == "/api/v1/auth/token":
            if self._faulty():
                return
            try:
                body = self._body()
                token = self.portal.issue_token(str(body["client_id"]), str(body["client_secret"]))
            except (ValueError, KeyError, TypeError):
                self._json(400, {"error": "invalid_request"})
                return
            if token is None:
                self._json(401, {"error": "invalid_client"})
                return
            self._json(
                200,
                {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": self.portal.faults.token_ttl,
                },
            )
            return
        match = STATUS.match(url.path)
        if not match:
            self._json(404, {"error": "not_found"})
            return
        if self._faulty() or not self._authorised():
            return
        try:
            body = self._body()
            status, message = str(body["status"]), str(body.get("message", ""))
            ref = str(body.get("ref", ""))
        except (ValueError, KeyError, TypeError):
            self._json(400, {"error": "invalid_request"})
            return
        if status not in STATUSES:
            self._json(400, {"error": "unknown_status"})
            return
        if self.portal.find(match.group(1)) is None:
            self._json(404, {"error": "not_found"})
            return
        self._json(200, self.portal.post_status(match.group(1), status, message, ref))

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        url = urlparse(self.path)
        if url.path == "/":
            self._page()
            return
        if url.path == "/crl/ca.crl":
            crl = self.portal.current_crl()
            if crl is None:
                self._json(404, {"error": "not_found"})
            else:
                self._send(200, crl, "application/pkix-crl")
            return
        if not url.path.startswith("/api/"):
            self._json(404, {"error": "not_found"})
            return
        if self._faulty() or not self._authorised():
            return
        if url.path == "/api/v1/statuses":
            statuses = [{"code": code, "label": label} for code, label in STATUSES.items()]
            self._json(200, {"statuses": statuses})
        elif url.path == "/api/v1/applications":
            self._list(parse_qs(url.query))
        elif match := PACKAGE.match(url.path):
            entry = self.portal.find(match.group(1))
            if entry is None:
                self._json(404, {"error": "not_found"})
            else:
                faults = self.portal.faults
                self._send(
                    200,
                    entry.path.read_bytes(),
                    "application/zip",
                    truncate=faults.chance(faults.truncate),
                )
        elif match := ONE.match(url.path):
            entry = self.portal.find(match.group(1))
            if entry is None:
                self._json(404, {"error": "not_found"})
            else:
                self._json(
                    200,
                    {
                        **self._item(entry),
                        "history": self.portal.history.get(entry.receipt_number, []),
                    },
                )
        else:
            self._json(404, {"error": "not_found"})

    def _reply(self, receipt_number: str) -> None:
        changes: dict[str, str] = {}
        if self.headers.get("Content-Type", "").startswith("application/json"):
            try:
                body = self._body()
                changes = {str(k): str(v) for k, v in dict(body.get("form", {})).items()}
            except (ValueError, TypeError, AttributeError):
                self._json(400, {"error": "invalid_request"})
                return
        else:
            self.rfile.read(min(int(self.headers.get("Content-Length", "0") or 0), 100_000))
        new = self.portal.reply(receipt_number, changes)
        if new is None:
            self._json(409, {"error": "not_returned", "message": "返戻中の申請ではありません"})
            return
        if self.headers.get("Content-Type", "").startswith("application/json"):
            self._json(201, {"receipt_number": new, "correction_of": receipt_number})
        else:
            self.send_response(303)
            self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _item(self, entry: Entry) -> dict[str, str]:
        return {
            "receipt_number": entry.receipt_number,
            "procedure_id": entry.procedure_id,
            "submitted_at": entry.submitted_at,
            "sha256": entry.sha256,
            "status": self.portal.status_of(entry.receipt_number),
        }

    def _list(self, query: dict[str, list[str]]) -> None:
        def arg(name: str) -> str | None:
            return query.get(name, [None])[0]

        try:
            page = max(1, int(arg("page") or 1))
            per_page = min(500, max(1, int(arg("per_page") or 100)))
            since = dt.datetime.fromisoformat(arg("from")) if arg("from") else None  # type: ignore[arg-type]
            until = dt.datetime.fromisoformat(arg("to")) if arg("to") else None  # type: ignore[arg-type]
        except ValueError:
            self._json(400, {"error": "invalid_request"})
            return
        entries = []
        for entry in self.portal.entries():
            submitted = (
                dt.datetime.fromisoformat(entry.submitted_at) if entry.submitted_at else None
            )
            if since and (submitted is None or submitted < since):
                continue
            if until and (submitted is None or submitted >= until):
                continue
            if arg("procedure_id") and entry.procedure_id != arg("procedure_id"):
                continue
            if arg("status") and self.portal.status_of(entry.receipt_number) != arg("status"):
                continue
            entries.append(entry)
        chunk = [self._item(e) for e in entries[(page - 1) * per_page : page * per_page]]
        faults = self.portal.faults
        if page > 1 and faults.chance(faults.duplicate):
            # A busy portal repeats an item of the previous page.
            chunk.append(self._item(entries[(page - 1) * per_page - 1]))
        if faults.reorder:
            faults.rng.shuffle(chunk)
        self._json(
            200,
            {
                "items": chunk,
                "total": len(entries),
                "next_page": page + 1 if page * per_page < len(entries) else None,
            },
        )

    def _page(self) -> None:
        rows = []
        for entry in reversed(self.portal.entries()[-200:]):
            events = self.portal.history.get(entry.receipt_number, [])
            last = events[-1] if events else {"status": "received", "message": ""}
            action = ""
            if last["status"] == "returned":
                target = f"/applicant/applications/{html.escape(entry.receipt_number)}/reply"
                action = (
                    f"<form method='post' action='{target}'>"
                    "<button type='submit'>補正して再申請する</button></form>"
                )
            rows.append(
                f"<tr><td>{html.escape(entry.receipt_number)}</td>"
                f"<td>{html.escape(entry.procedure_id)}</td>"
                f"<td>{html.escape(entry.submitted_at[:16])}</td>"
                f"<td>{STATUSES.get(last['status'], last['status'])}</td>"
                f"<td>{html.escape(last['message'])}{action}</td></tr>"
            )
        body = (
            "<!doctype html><html lang='ja'><meta charset='utf-8'>"
            "<title>ぴったりサービス(模擬) 申請状況</title>"
            "<h1>ぴったりサービス(模擬) 申請状況</h1>"
            "<p>申請者に表示される処理状況とメッセージ(新しい順、最大200件)</p>"
            "<table border='1' cellpadding='4'><tr><th>受付番号</th><th>手続</th>"
            "<th>申請日時</th><th>処理状況</th><th>メッセージ</th></tr>"
            + "".join(rows)
            + "</table></html>"
        )
        self._send(200, body.encode(), "text/html; charset=utf-8")


def make_server(portal: Portal, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    handler = type("PortalHandler", (Handler,), {"portal": portal})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
