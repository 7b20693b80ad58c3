"""The ``pittari-sim`` command (DESIGN.md §6)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .generate import generate
from .server import Faults, Portal, make_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="pittari-sim",
        description="ぴったりサービス and 住基 export simulator (development only)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the portal API on 127.0.0.1")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--data",
        type=Path,
        default=Path("var/pittari-sim"),
        help="folder written by `generate` (its packages/ are served)",
    )
    serve.add_argument("--client-id", default=os.environ.get("PITTARI_CLIENT_ID", "madoguchi-demo"))
    serve.add_argument("--client-secret", default=os.environ.get("PITTARI_CLIENT_SECRET"))
    serve.add_argument(
        "--release-initial", type=int, default=None, help="list only this many packages at first …"
    )
    serve.add_argument(
        "--release-every", type=float, default=None, help="… and one more every this many seconds"
    )

    serve.add_argument(
        "--faults",
        default="",
        help="e.g. latency=0.2,error=0.05,truncate=0.02,duplicate=0.05,reorder=1,token_ttl=30",
    )

    gen = sub.add_parser("generate", help="write signed packages and the matching 番号紐付情報")
    gen.add_argument("--procedure", default=None)
    gen.add_argument("--count", type=int, required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=None)
    gen.add_argument(
        "--unlinked-rate",
        type=float,
        default=0.05,
        help="share signed with a card newer than the registry export (default 0.05)",
    )
    gen.add_argument(
        "--key-pool", type=int, default=None, help="reuse N signing keys (fast large runs)"
    )
    gen.add_argument("--json", action="store_true")

    args = parser.parse_args(argv)
    if args.command == "generate":
        try:
            generated = generate(
                args.out,
                args.count,
                seed=args.seed,
                procedure_id=args.procedure,
                unlinked_rate=args.unlinked_rate,
                key_pool=args.key_pool,
            )
        except KeyError:
            parser.error(f"unknown procedure: {args.procedure}")
        if args.json:
            json.dump(
                {"packages": [str(g.path) for g in generated]}, sys.stdout, ensure_ascii=False
            )
            sys.stdout.write("\n")
        else:
            print(f"{len(generated)} packages written to {args.out / 'packages'}")
        return
    if not args.client_secret:
        parser.error("--client-secret (or PITTARI_CLIENT_SECRET) is required")
    try:
        faults = Faults.parse(args.faults)
    except ValueError as exc:
        parser.error(str(exc))
    portal = Portal(
        args.data,
        args.client_id,
        args.client_secret,
        args.release_initial,
        args.release_every,
        faults,
    )
    server = make_server(portal, args.host, args.port)
    print(f"pittari-sim listening on http://{args.host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
