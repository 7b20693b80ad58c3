"""The files that run a fleet: systemd template units, one instance per 団体コード
(`systemctl enable --now madoguchi-web@131016 madoguchi-worker@131016`), each reading
common.env and then its municipality's environment file; and one nginx site that routes
each municipality's host name to its web server. `madoguchi fleet units --out DIR` writes
them with this fleet's folders; deploy/fleet/ holds them as written for the paths of
docs/joint-use.md."""

from __future__ import annotations

from pathlib import Path

from .registry import Fleet, Member

HARDENING = """\
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ProtectHome=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes
"""

UNIT = """\
# {header} — written by `madoguchi fleet units`; docs/joint-use.md
[Unit]
Description={description} (団体コード %i)
Documentation=https://github.com/madoguchi/madoguchi/blob/main/docs/joint-use.md
After=network-online.target postgresql.service
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
SupplementaryGroups=madoguchi-spool
EnvironmentFile={fleet}/common.env
EnvironmentFile={fleet}/%i/{env}
Environment=MADOGUCHI_PRODUCTION=1
{extra}ExecStart={program} {command}
Restart={restart}
RestartSec=5
{hardening}ReadWritePaths={data}/%i

[Install]
WantedBy=multi-user.target
"""

SERVICES = {
    "madoguchi-web@.service": {
        "description": "madoguchi 申請管理システム (職員画面)",
        "command": "serve --host 127.0.0.1 --port ${MADOGUCHI_WEB_PORT} --processes 1",
        "restart": "on-failure",
        "extra": "",
        "env": "madoguchi.env",
        "user": "madoguchi",
    },
    "madoguchi-worker@.service": {
        "description": "madoguchi 申請管理システム (ワーカー)",
        "command": "worker",
        "restart": "always",
        "extra": "KillSignal=SIGTERM\nTimeoutStopSec=120\n",
        "env": "madoguchi.env",
        "user": "madoguchi",
    },
    "madoguchi-relay@.service": {
        "description": "madoguchi 連携サーバ",
        "command": "relay run",
        "restart": "always",
        "extra": "Environment=MADOGUCHI_COMPONENT=relay\nKillSignal=SIGTERM\n",
        "env": "relay.env",
        "user": "madoguchi-relay",
    },
}

BACKUP = """\
# The fleet's nightly backups — written by `madoguchi fleet units`; docs/joint-use.md
[Unit]
Description=madoguchi 共同利用のバックアップ (全団体)
After=postgresql.service

[Service]
Type=oneshot
User=madoguchi
Group=madoguchi
Environment=MADOGUCHI_FLEET_DIR={fleet}
Environment=MADOGUCHI_FLEET_DATA_DIR={data}
ExecStart={program} fleet backup --out /var/backups/madoguchi
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths={data} /var/backups/madoguchi
"""

TIMER = """\
[Unit]
Description=madoguchi 共同利用のバックアップ (毎晩)

[Timer]
OnCalendar=*-*-* 02:30:00
Persistent=true

[Install]
WantedBy=timers.target
"""

SERVER = """\
server {{
    listen 443 ssl;
    server_name {host};  # {name} ({code})

    ssl_certificate     /etc/ssl/madoguchi/{host}/fullchain.pem;
    ssl_certificate_key /etc/ssl/madoguchi/{host}/privkey.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 20m;

    location / {{
        proxy_pass http://127.0.0.1:{port};
        proxy_read_timeout 120s;
        include /etc/nginx/snippets/madoguchi-proxy.conf;
    }}

    location ~ ^/minutes/[0-9]+/upload/$ {{
        client_max_body_size 512m;
        proxy_request_buffering off;
        proxy_read_timeout 300s;
        proxy_pass http://127.0.0.1:{port};
        include /etc/nginx/snippets/madoguchi-proxy.conf;
    }}
}}
"""

PROXY_SNIPPET = """\
# /etc/nginx/snippets/madoguchi-proxy.conf — what every municipality's location passes on.
proxy_set_header Host $host;
proxy_set_header X-Forwarded-Proto $scheme;
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Forwarded-Host $host;
proxy_set_header X-Request-ID $request_id;
"""


def systemd_units(fleet: Fleet, program: str) -> dict[str, str]:
    units = {
        name: UNIT.format(
            header=name,
            fleet=fleet.root,
            data=fleet.data_root,
            program=program,
            hardening=HARDENING,
            **service,
        )
        for name, service in SERVICES.items()
    }
    units["madoguchi-fleet-backup.service"] = BACKUP.format(
        fleet=fleet.root, data=fleet.data_root, program=program
    )
    units["madoguchi-fleet-backup.timer"] = TIMER
    return units


def nginx_site(members: list[Member]) -> str:
    hosts = " ".join(m.host for m in members) or "_"
    head = (
        "# /etc/nginx/sites-available/madoguchi-fleet — one server per municipality, by host\n"
        "# name; written by `madoguchi fleet units` (run it again after fleet add or remove).\n\n"
        f"server {{\n    listen 80;\n    server_name {hosts};\n"
        "    return 301 https://$host$request_uri;\n}\n\n"
        "# Any other name: refused, never a municipality's screens by default.\n"
        "server {\n    listen 443 ssl default_server;\n    server_name _;\n"
        "    ssl_reject_handshake on;\n}\n"
    )
    servers = (SERVER.format(host=m.host, name=m.name, code=m.code, port=m.port) for m in members)
    return head + "".join("\n" + server for server in servers)


def write(fleet: Fleet, out: Path, program: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        **{f"systemd/{name}": text for name, text in systemd_units(fleet, program).items()},
        "nginx/madoguchi-fleet": nginx_site(fleet.members()),
        "nginx/madoguchi-proxy.conf": PROXY_SNIPPET,
    }
    written = []
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
