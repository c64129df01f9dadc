"""Real mode end to end in one process: ledger on the real `os`, emitter on httpx, the RiskCast app."""
from __future__ import annotations

import asyncio

import httpx

from omen import FixedClock, LedgerWriter
from omen.emitter import BackpressureController, EmitStatus, SignalEmitter
from omen.transport import HttpxTransport
from riskcast.app import INGEST_PATH, build_service, create_app


def test_an_emitted_signal_is_delivered_once_and_a_re_emit_is_a_duplicate_with_the_same_ack(
    tmp_path, make_signal
) -> None:
    service = build_service(db_path=str(tmp_path / "riskcast.db"), ledger_root=str(tmp_path / "ledger"))
    writer = LedgerWriter(str(tmp_path / "ledger"), clock=FixedClock(make_signal(1).emitted_at))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)))
    emitter = SignalEmitter(writer, HttpxTransport(client), "http://riskcast" + INGEST_PATH,
                            backpressure=BackpressureController())
    event = make_signal(1, partition=None)

    async def scenario():
        first = await emitter.emit(event)
        again = await emitter.emit(event)
        await client.aclose()
        return first, again, await service.store.count()

    try:
        first, again, count = asyncio.run(scenario())
    finally:
        writer.close()
        service.close()
    assert first.status is EmitStatus.DELIVERED and first.ack_id
    assert again.status is EmitStatus.DUPLICATE and again.ack_id == first.ack_id
    assert again.ledger_sequence == first.ledger_sequence + 1, "a re-emit is written to the ledger again"
    assert count == 1
