"""`riskcast serve`: run the RiskCast HTTP app on uvicorn; `riskcast reconcile`: the job on a timer. REAL ADAPTER.

Exit codes: 0 after a clean shutdown, 2 on bad usage (argparse), 1 if the server could not start.
"""
from __future__ import annotations

import argparse
import logging
import sys

from riskcast import reconcile_command
from riskcast.ingest import BODY_MAX_BYTES_DEFAULT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="riskcast", description="RiskCast signal store service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the ingest and reconcile HTTP API")
    serve.add_argument("--db", required=True, help="SQLite database file (created if missing; WAL mode)")
    serve.add_argument("--ledger", required=True, help="root directory of the OMEN ledger to reconcile against")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port to bind (default 8000)")
    serve.add_argument("--body-max-bytes", type=int, default=BODY_MAX_BYTES_DEFAULT,
                       help=f"largest ingest body accepted, else 413 (default {BODY_MAX_BYTES_DEFAULT})")
    serve.add_argument("--commit-rows-max", type=int, default=256,
                       help="group commit: concurrent ingests share a transaction of up to N rows, one fsync; "
                            "1 commits each signal alone (default 256)")
    serve.add_argument("--log-level", default="warning",
                       choices=["critical", "error", "warning", "info", "debug"])
    reconcile_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "reconcile":
        return reconcile_command.main_reconcile(args)
    if not 0 < args.port < 65536:
        print(f"riskcast: --port must be within 1..65535, got {args.port}", file=sys.stderr)
        return 2
    if args.body_max_bytes < 1:
        print(f"riskcast: --body-max-bytes must be >= 1, got {args.body_max_bytes}", file=sys.stderr)
        return 2
    if not 1 <= args.commit_rows_max <= 10_000:
        print(f"riskcast: --commit-rows-max must be within 1..10000, got {args.commit_rows_max}", file=sys.stderr)
        return 2
    import uvicorn

    from riskcast.app import build_service, create_app

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        service = build_service(db_path=args.db, ledger_root=args.ledger, body_max_bytes=args.body_max_bytes,
                                commit_rows_max=args.commit_rows_max)
    except Exception as error:  # a bad --db path or a filesystem without WAL: say what to fix
        print(f"riskcast: cannot open database {args.db!r}: {error}", file=sys.stderr)
        return 1
    try:
        server = uvicorn.Server(uvicorn.Config(create_app(service), host=args.host, port=args.port,
                                               log_level=args.log_level))
        server.run()
        return 0 if server.started else 1
    finally:
        service.close()


if __name__ == "__main__":
    sys.exit(main())
