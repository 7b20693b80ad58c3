from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connections

from madoguchi.command import MadoguchiCommand


class Command(MadoguchiCommand):
    help = "職員画面の Web サーバを起動する (waitress)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="待ち受けるアドレス (既定: 127.0.0.1)"
        )
        parser.add_argument("--port", type=int, default=8000, help="待ち受けるポート (既定: 8000)")
        # Four, measured (docs/deployment.md §5): a process runs Python one thread at a
        # time, and more threads only wait for it and for the database's write lock
        # inside requests rather than before them — 50 clerks on two cores: 16 threads
        # 92 requests/s, p95 1.5 s, max 5.4 s; 8: 112/s, 0.8 s, 1.8 s; 4: 115-119/s, 0.8 s, 1.1 s.
        parser.add_argument(
            "--threads", type=int, default=4, help="1プロセスあたりのスレッド数 (既定: 4)"
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="同じポートで待ち受けるプロセス数 (Linux; CPU のコア数までが目安)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from madoguchi.wsgi import application

        processes = options["processes"]
        if processes < 1 or (processes > 1 and not hasattr(os, "fork")):
            raise CommandError("--processes は 1 以上で、2 以上は Linux でのみ指定できます")
        host, port, threads = options["host"], options["port"], options["threads"]
        proxy = proxy_options()
        self.stdout.write(f"http://{host}:{port}/ で待ち受けます")
        if processes == 1:
            serve(application, host=host, port=port, threads=threads, **proxy)
            return
        # One listening socket, shared by processes forked before any of them opens a
        # database connection: Python runs one thread at a time per process, so a second
        # process is what puts a second core to work.
        listener = socket.create_server((host, port), reuse_port=False)
        connections.close_all()
        children = []
        for _ in range(processes):
            pid = os.fork()
            if pid == 0:
                serve(application, sockets=[listener], threads=threads, **proxy)
                os._exit(0)
            children.append(pid)

        def stop(signum: int, frame: object) -> None:
            for child in children:
                os.kill(child, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for child in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)
        sys.stdout.flush()


def proxy_options() -> dict[str, Any]:
    """waitress believes the proxy's forwarded headers from the trusted address only
    (settings.TRUSTED_PROXY, the proxy's own) and removes them from every other request."""
    if not settings.BEHIND_HTTPS_PROXY:
        return {}
    if not settings.TRUSTED_PROXY:
        raise CommandError(
            "BEHIND_HTTPS_PROXY には MADOGUCHI_TRUSTED_PROXY (プロキシのアドレス) が必要です"
        )
    return {
        "trusted_proxy": settings.TRUSTED_PROXY,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for", "x-forwarded-host"},
        "clear_untrusted_proxy_headers": True,
    }
