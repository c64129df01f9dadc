"""End to end on the real ledger (real `os`, temp dir): emit with RiskCast down, then reconcile delivers."""
from __future__ import annotations

import asyncio

from omen import FixedClock, LedgerReader, LedgerWriter
from omen.emitter import BackpressureController, EmitStatus, SignalEmitter
from riskcast import (
    IngestHandler,
    IngestHandlerTransport,
    InlineSqlRunner,
    ReconcileJob,
    ReconcileStateStore,
    SignalStore,
    run_reconcile_job,
)

URL = "http://riskcast/api/v1/signals/ingest"


class Down:
    async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        raise ConnectionRefusedError("riskcast is down")


def test_signals_deferred_while_riskcast_was_down_are_delivered_by_reconcile_exactly_once(
    tmp_path, clock, ack_ids, make_signal
) -> None:
    ledger_clock = FixedClock(make_signal(1, partition=None).emitted_at)
    writer = LedgerWriter(str(tmp_path), clock=ledger_clock)
    runner = InlineSqlRunner.in_memory()
    store = SignalStore(runner, clock=clock, ack_ids=ack_ids)
    handler = IngestHandler(store)
    live = IngestHandlerTransport(handler)
    down_emitter = SignalEmitter(writer, Down(), URL, backpressure=BackpressureController(max_attempts=1))
    live_emitter = SignalEmitter(writer, live, URL, backpressure=BackpressureController(max_attempts=1))
    job = ReconcileJob(LedgerReader(str(tmp_path)), store, ReconcileStateStore(runner, clock=clock), live, URL)

    async def scenario():
        outcomes = [(await down_emitter.emit(make_signal(n, partition=None))).status for n in (1, 2)]
        outcomes.append((await live_emitter.emit(make_signal(3, partition=None))).status)
        before_seal = await run_reconcile_job(job)
        writer.seal_partition("2024-03-01")
        sealed = await run_reconcile_job(job)
        late = await down_emitter.emit(make_signal(4, partition=None))  # after seal: the late partition
        after_late = await run_reconcile_job(job)
        return outcomes, before_seal, sealed, late, after_late, await store.all_signal_ids()

    outcomes, before_seal, sealed, late, after_late, stored = asyncio.run(scenario())
    writer.close()
    assert outcomes == [EmitStatus.DEFERRED, EmitStatus.DEFERRED, EmitStatus.DELIVERED]
    assert [(r.partition, r.status, r.reason) for r in before_seal] == [
        ("2024-03-01", "skipped", "main_partition_not_sealed")
    ]
    assert [(r.partition, r.status, len(r.replayed_ids)) for r in sealed] == [("2024-03-01", "reconciled", 2)]
    assert late.status is EmitStatus.DEFERRED and late.ledger_partition == "2024-03-01-late"
    assert [(r.partition, r.status) for r in after_late] == [
        ("2024-03-01", "up_to_date"), ("2024-03-01-late", "reconciled")
    ]
    assert after_late[1].replayed_ids == [make_signal(4).signal_id]
    assert stored == sorted(make_signal(n).signal_id for n in (1, 2, 3, 4))
    assert all(not r.extra_ids for r in sealed + after_late)
