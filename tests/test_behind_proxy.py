"""madoguchi as an administrator installs it: `madoguchi serve` behind a real nginx that
terminates TLS with the shipped site file (deploy/nginx/madoguchi.conf). A clerk signs in,
changes a status and downloads a file over HTTPS; cookies are secure, HSTS is sent, and the
request id of nginx reaches the answer."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import ipaddress
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pittari_sim.generate import generate
from tests.processes import database_url, free_port, madoguchi, set_up

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROOT = Path(__file__).resolve().parent.parent
__all__ = ["database_url"]  # the fixture, used by name
pytestmark = [
    pytest.mark.skipif(not os.path.exists(NGINX), reason="Debian's nginx-light is not installed"),
    pytest.mark.one_pass("sqlite"),
]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_config(folder: Path, https_port: int, http_port: int, app_port: int) -> Path:
    """The shipped site file, with this test's ports, certificate and host name."""
    cert, key = make_certificate(folder)
    site = (ROOT / "deploy" / "nginx" / "madoguchi.conf").read_text(encoding="utf-8")
    site = (
        site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("madoguchi.city.example.lg.jp", "localhost")
        .replace("/etc/ssl/madoguchi/fullchain.pem", str(cert))
        .replace("/etc/ssl/madoguchi/privkey.pem", str(key))
        .replace("http://127.0.0.1:8000", f"http://127.0.0.1:{app_port}")
    )
    assert f"127.0.0.1:{app_port}" in site and str(cert) in site
    (folder / "site.conf").write_text(site, encoding="utf-8")
    main = folder / "nginx.conf"
    main.write_text(
        f"""
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
""",
        encoding="utf-8",
    )
    return main


def wait_for(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} stopped"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not start")


@pytest.fixture
def installation(tmp_path: Path, database_url: str) -> Iterator[dict[str, object]]:
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    site = f"https://localhost:{https_port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MADOGUCHI_DATA_DIR": str(tmp_path / "data"),
        "BEHIND_HTTPS_PROXY": "1",
        "MADOGUCHI_TRUSTED_PROXY": "127.0.0.1",
        "MADOGUCHI_SITE_URL": site,
        "ALLOWED_HOSTS": "localhost",
    }
    portal = tmp_path / "portal"
    generate(portal, 1, seed=5, procedure_id="jidou-teate-nintei", unlinked_rate=0.0)

    set_up(env, portal, residents=True)
    madoguchi(env, "intake", "import", str(portal / "packages"))
    who = ["--name", "窓口 花子", "--department", "kosodate", "--role", "窓口担当"]
    added = json.loads(madoguchi(env, "staff", "add", "hanako", *who, "--json"))
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    config = nginx_config(nginx_dir, https_port, http_port, app_port)
    server = subprocess.Popen(
        [sys.executable, "-m", "madoguchi", "serve", "--port", str(app_port)], env=env
    )
    proxy = subprocess.Popen([NGINX, "-c", str(config), "-g", "daemon off;"])
    try:
        wait_for(app_port, server, "madoguchi serve")
        wait_for(https_port, proxy, "nginx")
        yield {
            "site": site,
            "password": added["password"],
            "receipt": next((portal / "packages").glob("*.zip")).stem,
            "cert": str(nginx_dir / "cert.pem"),
        }
    finally:
        for process in (proxy, server):
            process.terminate()
            process.wait(timeout=30)


class Browser:
    """Just enough of a browser: cookies, the Origin and Referer a browser sends."""

    def __init__(self, site: str, cafile: str) -> None:
        self.site = site
        self.jar = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=cafile)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            urllib.request.HTTPSHandler(context=context),
        )
        self.page = ""
        self.url = ""

    def get(self, path: str) -> tuple[int, Message, bytes]:
        with self.opener.open(self.site + path, timeout=30) as answer:
            body = answer.read()
            self.url = answer.geturl()
            if answer.headers.get_content_type() == "text/html":
                self.page = body.decode()
            return answer.status, answer.headers, body

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page)
        assert token, "no form on the page"
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], **fields}).encode()
        request = urllib.request.Request(
            self.site + path,
            data=data,
            headers={"Origin": self.site, "Referer": self.url or self.site + path},
        )
        with self.opener.open(request, timeout=30) as answer:
            self.url = answer.geturl()
            self.page = answer.read().decode()
            return answer.status, self.url


def test_a_clerk_works_through_nginx_over_https(installation):
    site = str(installation["site"])
    browser = Browser(site, str(installation["cert"]))
    status, headers, _body = browser.get("/login/")
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's $request_id

    password = str(installation["password"])
    _status, url = browser.post("/login/", {"username": "hanako", "password": password})
    assert "/password/" in url  # the one-time password is changed first
    session = next(c for c in browser.jar if c.name == "sessionid")
    assert session.secure
    new = "hanako-no-atarashii-pass"
    _status, url = browser.post(
        "/password/",
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert url.startswith(site + "/applications/")

    receipt = str(installation["receipt"])
    browser.get(f"/applications/{receipt}/")
    _status, url = browser.post(f"/applications/{receipt}/transition/", {"to_status": "in_review"})
    assert url == f"{site}/applications/{receipt}/"
    assert 'data-testid="status">審査中<' in browser.page

    status, headers, body = browser.get(f"/applications/{receipt}/print.pdf")
    assert (status, headers["Content-Type"]) == (200, "application/pdf")
    assert body.startswith(b"%PDF")
