"""`riskcast reconcile --every S`: the reconcile job as its own long-running process. REAL ADAPTER.

WHY a process of its own, not a timer calling the served `/reconcile/run`: the job is its own
failure domain (it can die, be paused or restarted without RiskCast's ingest going down, as in the
simulation, where the reconciler is its own node), and its replays travel over HTTP to the ingest
URL it is given, the same way OMEN's pushes do, instead of calling the ingest handler in-process: a
replay then meets exactly what a push meets (the network, a proxy, a restarting server).

Each pass prints one JSON line (`{"kind": "pass", "pass": N, "results": [...]}`); a pass that fails
as a whole (the database locked past its busy timeout, say) prints `{"kind": "pass_failed", ...}`
and the next pass tries again.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from typing import Any

PASSES_UNBOUNDED_MAX = 10_000_000


def add_parser(commands: Any) -> None:
    reconcile = commands.add_parser("reconcile", help="run the reconcile job every S seconds, replaying over HTTP")
    reconcile.add_argument("--db", required=True, help="the RiskCast SQLite database file (WAL mode)")
    reconcile.add_argument("--ledger", required=True, help="root directory of the OMEN ledger")
    reconcile.add_argument("--url", required=True, help="RiskCast base URL the replays are POSTed to")
    reconcile.add_argument("--every", type=float, default=20.0, metavar="S", help="seconds between passes (default 20)")
    reconcile.add_argument("--passes", type=int, default=0, help="stop after this many passes (default 0: run on)")
    reconcile.add_argument("--scrub-every", type=int, default=5, metavar="K",
                           help="every K-th pass re-reads up-to-date partitions too (default 5; 0: never)")
    reconcile.add_argument("--replay-timeout-s", type=float, default=2.0, help="deadline of one replay (default 2)")


def _out(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, sort_keys=True) + "\n")
    sys.stdout.flush()


async def _passes(args: argparse.Namespace) -> int:
    from riskcast.app import INGEST_PATH, build_service
    from riskcast.http_transport import HttpxReplayTransport
    from riskcast.reconcile_job import ReconcileJob, run_reconcile_job

    transport = HttpxReplayTransport()
    try:
        service = build_service(db_path=args.db, ledger_root=args.ledger, replay_transport=transport,
                                ingest_url=args.url.rstrip("/") + INGEST_PATH)
        try:
            job = ReconcileJob(service.job.reader, service.store, service.state, transport, service.job.ingest_url,
                               replay_timeout_s=args.replay_timeout_s)
            _out({"kind": "ready", "every_s": args.every})
            passes_max = args.passes or PASSES_UNBOUNDED_MAX
            for number in range(1, passes_max + 1):
                scrub = args.scrub_every > 0 and number % args.scrub_every == 0
                try:
                    results = await run_reconcile_job(job, scrub=scrub)
                except (sqlite3.Error, OSError) as error:
                    _out({"kind": "pass_failed", "pass": number, "error": f"{type(error).__name__}: {error}"})
                else:
                    _out({"kind": "pass", "pass": number, "scrub": scrub,
                          "results": [result.model_dump(mode="json") for result in results]})
                if number < passes_max:
                    await asyncio.sleep(args.every)
        finally:
            service.close()
    finally:
        await transport.aclose()
    return 0


def main_reconcile(args: argparse.Namespace) -> int:
    if not args.every > 0 or not args.replay_timeout_s > 0 or args.passes < 0 or args.scrub_every < 0:
        print("riskcast reconcile: --every and --replay-timeout-s must be > 0, --passes and --scrub-every >= 0",
              file=sys.stderr)
        return 2
    try:
        return asyncio.run(_passes(args))
    except sqlite3.Error as error:
        print(f"riskcast reconcile: cannot open database {args.db!r}: {error}", file=sys.stderr)
        return 1
