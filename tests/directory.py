"""A real OpenLDAP server (Debian's slapd) in a temporary folder, standing in for the 庁内
directory: people, 課 groups, a role group and a deny group, as a municipality keeps them."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SLAPD = "/usr/sbin/slapd"
SUFFIX = "dc=example,dc=jp"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "directory-admin-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

# uid → (display name, groups, password)
ACCOUNTS = {
    "hanako": ("窓口 花子", ["kosodate"], "hanako-no-pass"),
    "ichiro": ("審査 一郎", ["kosodate", "shinsa"], "ichiro-no-pass"),
    "shiro": ("課長 四郎", ["kaigo", "kacho"], "shiro-no-pass"),
    "taro": ("退職 太郎", ["kosodate", "taishoku"], "taro-no-pass"),
    "nogroup": ("所属 なし", [], "nogroup-pass"),
}

GROUPS_TOML = f"""
[departments]
"cn=kosodate,{GROUPS}" = "kosodate"
"cn=kaigo,{GROUPS}" = "kaigo"

[roles]
"cn=kacho,{GROUPS}" = "課長"
"cn=shinsa,{GROUPS}" = "reviewer"
"""


def _value(name: str, value: str) -> str:
    """An LDIF line; values beyond ASCII are written base64, as LDIF asks."""
    if value.isascii():
        return f"{name}: {value}"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}"


def ldif() -> str:
    entries = [
        [
            f"dn: {SUFFIX}",
            "objectClass: dcObject",
            "objectClass: organization",
            "dc: example",
            _value("o", "千代田区"),
        ],
        [f"dn: {PEOPLE}", "objectClass: organizationalUnit", "ou: people"],
        [f"dn: {GROUPS}", "objectClass: organizationalUnit", "ou: groups"],
    ]
    members: dict[str, list[str]] = {}
    for uid, (name, groups, password) in ACCOUNTS.items():
        surname, _given = name.split(" ")
        entries.append(
            [
                f"dn: uid={uid},{PEOPLE}",
                "objectClass: inetOrgPerson",
                f"uid: {uid}",
                _value("cn", name),
                _value("sn", surname),
                _value("displayName", name),
                f"mail: {uid}@example.jp",
                f"userPassword: {password}",
            ]
        )
        for group in groups:
            members.setdefault(group, []).append(f"uid={uid},{PEOPLE}")
    for group, dns in members.items():
        entries.append(
            [f"dn: cn={group},{GROUPS}", "objectClass: groupOfNames", f"cn: {group}"]
            + [f"member: {dn}" for dn in dns]
        )
    return "\n\n".join("\n".join(lines) for lines in entries) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Directory:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        (root / "db").mkdir(parents=True)
        self.conf = root / "slapd.conf"
        self.conf.write_text(
            "\n".join(
                [
                    *(
                        f"include /etc/ldap/schema/{s}.schema"
                        for s in ("core", "cosine", "inetorgperson", "nis")
                    ),
                    "modulepath /usr/lib/ldap",
                    "moduleload back_mdb",
                    "database mdb",
                    "maxsize 10485760",
                    f'suffix "{SUFFIX}"',
                    f'rootdn "{ADMIN_DN}"',
                    f"rootpw {ADMIN_PASSWORD}",
                    f"directory {root}/db",
                ]
            )
            + "\n"
        )
        (root / "data.ldif").write_text(ldif(), encoding="utf-8")
        subprocess.run(
            ["/usr/sbin/slapadd", "-f", str(self.conf), "-l", str(root / "data.ldif")],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        # In the foreground (-d 0), as this process's child: stopped and reaped at once.
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-f", str(self.conf), "-h", f"{self.uri}/"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not start")

    def stop(self) -> None:
        """At once: the server and its data are thrown away with the test."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def directory(tmp_path: Path, settings, catalog) -> Iterator[Directory]:
    """slapd started for the test, and madoguchi signing in through it."""
    if not os.path.exists(SLAPD):
        pytest.fail("slapd がありません (Debian の slapd パッケージ; scripts/test が入れます)")
    server = Directory(tmp_path / "ldap")
    groups = tmp_path / "ldap-groups.toml"
    groups.write_text(GROUPS_TOML, encoding="utf-8")
    settings.LDAP_URI = server.uri
    settings.LDAP_BIND_DN = ADMIN_DN
    settings.LDAP_BIND_PASSWORD = ADMIN_PASSWORD
    settings.LDAP_USER_BASE = PEOPLE
    settings.LDAP_GROUP_BASE = GROUPS
    settings.LDAP_GROUPS_FILE = str(groups)
    settings.LDAP_DENY_GROUP = f"cn=taishoku,{GROUPS}"
    settings.LDAP_TIMEOUT_SECONDS = 2
    settings.AUTHENTICATION_BACKENDS = [
        "madoguchi.accounts.directory.DirectoryBackend",
        "madoguchi.accounts.backends.LocalBackend",
    ]
    server.start()
    yield server
    server.stop()
