"""RiskCast's HTTP app on FastAPI: ingest, reconcile run/status/history. REAL ADAPTER.

This file may read the wall clock and draw uuid4 ack ids (real defaults), and it opens the SQLite
file through the threaded runner; everything it serves is the same framework-free code the
simulation drives (IngestHandler, SignalStore, ReconcileJob). Resources are opened when the
service is built, not in a lifespan hook, so in-process clients (httpx ASGITransport, which runs no
lifespan) see a working app; `RiskCastService.close()` releases them.
"""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from omen import LedgerReader, SystemClock
from riskcast.ingest import BODY_MAX_BYTES_DEFAULT, IngestHandler
from riskcast.local_transport import IngestHandlerTransport
from riskcast.partition_names import require_partition_name
from riskcast.ports import AckIdSource, Clock, Transport
from riskcast.reconcile_job import ReconcileJob, run_reconcile_job
from riskcast.reconcile_state import HISTORY_LIMIT_MAX, ReconcileStateStore
from riskcast.signal_store import SignalStore
from riskcast.sql_thread import ThreadSqlRunner

INGEST_PATH = "/api/v1/signals/ingest"
COMMIT_ROWS_MAX_DEFAULT = 256  # group commit: concurrent ingests share one transaction, one fsync


def uuid4_ack_id() -> str:
    """The real ack id source (the simulation passes a seeded one)."""
    return uuid.uuid4().hex


@dataclass
class RiskCastService:
    runner: ThreadSqlRunner
    store: SignalStore
    ingest: IngestHandler
    state: ReconcileStateStore
    job: ReconcileJob
    reconcile_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def close(self) -> None:
        self.runner.close()


def build_service(
    *,
    db_path: str,
    ledger_root: str,
    body_max_bytes: int = BODY_MAX_BYTES_DEFAULT,
    clock: Clock | None = None,
    ack_ids: AckIdSource = uuid4_ack_id,
    replay_transport: Transport | None = None,
    ingest_url: str = INGEST_PATH,
    commit_rows_max: int = COMMIT_ROWS_MAX_DEFAULT,
) -> RiskCastService:
    """Open the database and wire the components. By default reconcile replays into this service's
    own ingest handler in-process; pass `replay_transport` + `ingest_url` to replay over HTTP."""
    clock = clock if clock is not None else SystemClock()
    runner = ThreadSqlRunner(db_path)
    store = SignalStore(runner, clock=clock, ack_ids=ack_ids, commit_rows_max=commit_rows_max)
    ingest = IngestHandler(store, body_max_bytes=body_max_bytes)
    state = ReconcileStateStore(runner, clock=clock)
    transport = replay_transport if replay_transport is not None else IngestHandlerTransport(ingest)
    # ledger reads are sync file I/O: a worker thread keeps them off the loop that answers ingest
    job = ReconcileJob(LedgerReader(ledger_root), store, state, transport, ingest_url,
                       run_blocking=asyncio.to_thread)
    return RiskCastService(runner=runner, store=store, ingest=ingest, state=state, job=job)


async def _read_body_limited(request: Request, limit_bytes: int) -> tuple[bytes | None, int]:
    """The body, or (None, size seen) as soon as it exceeds the limit: never buffer an oversized body."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit_bytes:
        return None, int(declared)
    chunks: list[bytes] = []
    size_bytes = 0
    async for chunk in request.stream():
        size_bytes += len(chunk)
        if size_bytes > limit_bytes:
            return None, size_bytes
        chunks.append(chunk)
    return b"".join(chunks), size_bytes


def create_app(service: RiskCastService) -> FastAPI:
    app = FastAPI(title="RiskCast", version="0.1.0")
    app.state.riskcast = service

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def ingest(request: Request) -> JSONResponse:
        body, size_bytes = await _read_body_limited(request, service.ingest.body_max_bytes)
        if body is None:
            status, document = service.ingest.too_large(size_bytes)
        else:
            status, document = await service.ingest.handle(body)
        return JSONResponse(document, status_code=status)

    # a plain Starlette route: ingest reads the raw body itself, so FastAPI's parameter resolution
    # would only add work to the hottest path
    app.add_route(INGEST_PATH, ingest, methods=["POST"], include_in_schema=False)

    @app.post("/reconcile/run")
    async def reconcile_run(partition: str | None = None) -> JSONResponse:
        if service.reconcile_lock.locked():
            return JSONResponse({"status": "busy", "detail": "a reconcile run is in progress; retry later"},
                                status_code=409)
        async with service.reconcile_lock:
            if partition is not None:
                try:
                    results = [await service.job.reconcile_partition(partition)]
                except ValueError as error:
                    return _bad_partition(partition, error)
            else:
                results = await run_reconcile_job(service.job)
        return JSONResponse({"results": [r.model_dump(mode="json") | {"critical": r.critical} for r in results]})

    @app.get("/reconcile/status/{partition}")
    async def reconcile_status(partition: str) -> JSONResponse:
        try:
            require_partition_name(partition)
            info = await service.job.run_blocking(lambda: service.job.reader.get_partition_info(partition))
        except ValueError as error:
            return _bad_partition(partition, error)
        except Exception as error:  # corruption or I/O: report it, the status page must not 500
            ledger: dict[str, Any] = {"error": f"{type(error).__name__}: {error}"}
            needs: tuple[bool | None, str | None] = (None, None)
        else:
            ledger = {"is_sealed": info.is_sealed, "is_late": info.is_late,
                      "highwater_sequence": info.highwater_sequence, "manifest_revision": info.manifest_revision}
            needs = await service.state.needs_reconcile(partition, info.highwater_sequence, info.manifest_revision)
        state = await service.state.get_state(partition)
        return JSONResponse({
            "partition": partition,
            "state": None if state is None else {
                "ledger_highwater": state.ledger_highwater, "manifest_revision": state.manifest_revision,
                "status": state.status, "reason": state.reason, "ledger_count": state.ledger_count,
                "replayed_count": state.replayed_count, "extra_count": state.extra_count,
                "reconciled_at": state.reconciled_at,
            },
            "ledger": ledger,
            "needs_reconcile": needs[0],
            "reason": needs[1],
        })

    @app.get("/reconcile/history")
    async def reconcile_history(limit: int = Query(100, ge=1, le=HISTORY_LIMIT_MAX),
                                partition: str | None = None) -> Any:
        if partition is not None:
            try:
                require_partition_name(partition)
            except ValueError as error:
                return _bad_partition(partition, error)
        entries = await service.state.history(limit, partition=partition)
        return {"history": [
            {"id": e.id, "partition": e.partition, "status": e.status, "reason": e.reason,
             "ledger_highwater": e.ledger_highwater, "manifest_revision": e.manifest_revision,
             "ran_at": e.ran_at, "result": e.result.model_dump(mode="json")}
            for e in entries
        ]}

    return app


def _bad_partition(partition: str, error: ValueError) -> JSONResponse:
    return JSONResponse(
        {"status": "invalid", "errors": [{"type": "bad_partition", "loc": ["partition"],
                                          "msg": f"{partition!r}: {error} (expected YYYY-MM-DD or YYYY-MM-DD-late)"}]},
        status_code=422,
    )
