"""A ledger read of reconcile (status or run) never holds up ingest in the served app.

The ledger reader below blocks inside its read until the test has seen an ingest answered. If the
read ran on the event loop, no ingest could be answered while it blocks: the gate would time out
and the order of events would be read, read done, ingest. Off the loop, the ingest is answered in
the middle of the read. The test asserts on that order, never on a duration.
"""
from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from omen import FixedClock, LedgerWriter
from riskcast.app import INGEST_PATH, build_service, create_app

GATE_TIMEOUT_S = 10.0


class GatedReader:
    """Wraps the real reader; its chosen read waits for the test's gate, recording what happened."""

    def __init__(self, reader, gated: str) -> None:  # noqa: ANN001
        self._reader = reader
        self._gated = gated
        self.started = threading.Event()
        self.release = threading.Event()
        self.events: list[str] = []
        self._lock = threading.Lock()

    def note(self, event: str) -> None:
        with self._lock:
            self.events.append(event)

    def __getattr__(self, name: str):  # noqa: ANN204
        real = getattr(self._reader, name)
        if name != self._gated:
            return real

        def gated(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self.note("read.started")
            self.started.set()
            if not self.release.wait(GATE_TIMEOUT_S):
                self.note("read.gate_timed_out")
            result = real(*args, **kwargs)
            if name in ("read_partition", "scan_partition"):
                result = list(result)  # the whole read happens here, inside the gate's window
            self.note("read.finished")
            return result

        return gated


@pytest.fixture
def service(tmp_path, make_signal):
    ledger_root = tmp_path / "ledger"
    with LedgerWriter(str(ledger_root), clock=FixedClock(make_signal(1).emitted_at)) as writer:
        writer.write(make_signal(1))
        writer.write(make_signal(2))
        writer.seal_partition("2024-03-01")
    built = build_service(db_path=str(tmp_path / "riskcast.db"), ledger_root=str(ledger_root))
    yield built
    built.close()


@pytest.mark.parametrize(
    ("request_path", "gated"),
    [("status", "get_partition_info"), ("run", "scan_partition"), ("run", "get_partition_info")],
)
def test_an_ingest_is_answered_while_a_reconcile_read_is_in_progress(
    service, make_signal, request_path, gated
) -> None:
    reader = GatedReader(service.job.reader, gated)
    service.job.reader = reader
    body = make_signal(3).model_dump_json().encode()

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://riskcast") as client:
            if request_path == "status":
                pending = asyncio.create_task(client.get("/reconcile/status/2024-03-01"))
            else:
                pending = asyncio.create_task(client.post("/reconcile/run", params={"partition": "2024-03-01"}))
            # wait (off the loop, so a read on the loop could still run) until the read is under way
            assert await asyncio.to_thread(reader.started.wait, GATE_TIMEOUT_S)
            ingest = await client.post(INGEST_PATH, content=body)
            reader.note("ingest.answered")
            reader.release.set()
            return ingest, await pending

    ingest, reconcile = asyncio.run(scenario())
    assert ingest.status_code == 200, ingest.text
    assert reconcile.status_code == 200, reconcile.text
    assert reader.events == ["read.started", "ingest.answered", "read.finished"]


def test_the_simulation_runs_the_same_reads_inline_on_its_own_task() -> None:
    from riskcast.reconcile_job import call_inline

    thread_ids: list[int] = []

    async def scenario() -> int:
        return await call_inline(lambda: thread_ids.append(threading.get_ident()) or 7)

    assert asyncio.run(scenario()) == 7
    assert thread_ids == [threading.get_ident()]
