"""SignalEmitter: ledger first, then a bounded push; every outcome is a status, never lost."""
from __future__ import annotations

import asyncio
import json

import pytest

from omen.emitter import BackpressureController, EmitStatus, SignalEmitter

URL = "http://riskcast/api/v1/signals/ingest"


def emitter_with(ledger, transport, **limits) -> SignalEmitter:
    limits.setdefault("backoff_base_s", 0.0)
    return SignalEmitter(ledger, transport, URL, backpressure=BackpressureController(**limits), push_timeout_s=0.5)


def test_a_confirmed_push_is_delivered_with_the_ack_id_after_the_ledger_write(
    ledger, transport_for, answer, make_signal, run
) -> None:
    transport = transport_for(ledger, [answer("ack-1")])
    result = run(emitter_with(ledger, transport).emit(make_signal(1)))
    assert result.status is EmitStatus.DELIVERED and result.status == "delivered"
    assert (result.ack_id, result.attempts, result.error) == ("ack-1", 1, None)
    assert (result.ledger_partition, result.ledger_sequence) == ("2024-03-01", 1)
    url, body, timeout_s, ledger_records_at_push = transport.calls[0]
    assert (url, timeout_s) == (URL, 0.5)
    assert ledger_records_at_push == 1, "the push must come after the ledger write returned"
    assert body == ledger.records[0].model_dump_json().encode(), "the body is the event the ledger returned"


def test_a_409_is_a_duplicate_carrying_the_original_ack_id(ledger, transport_for, answer, make_signal, run) -> None:
    transport = transport_for(ledger, [answer("ack-original", status=409)])
    result = run(emitter_with(ledger, transport).emit(make_signal(1)))
    assert result.status is EmitStatus.DUPLICATE and result.ack_id == "ack-original"


def test_a_failed_ledger_write_pushes_nothing_and_says_failed(ledger, transport_for, make_signal, run) -> None:
    ledger.fail_with = OSError(28, "No space left on device")
    transport = transport_for(ledger, [])
    result = run(emitter_with(ledger, transport).emit(make_signal(1)))
    assert result.status is EmitStatus.FAILED
    assert result.attempts == 0 and result.ledger_sequence is None
    assert "No space left" in (result.error or "")
    assert transport.calls == []


def test_other_exceptions_of_the_ledger_are_not_swallowed(ledger, transport_for, make_signal, run) -> None:
    class Boom(Exception):
        pass

    def explode(event):
        raise Boom("a bug, not an I/O failure")

    ledger.write = explode
    transport = transport_for(ledger, [])
    with pytest.raises(Boom):
        run(emitter_with(ledger, transport).emit(make_signal(1)))
    assert transport.calls == []


def test_a_push_that_times_out_every_attempt_is_deferred_and_stays_in_the_ledger(
    ledger, transport_for, make_signal, run
) -> None:
    transport = transport_for(ledger, [TimeoutError("slow")] * 3)
    result = run(emitter_with(ledger, transport, max_attempts=3).emit(make_signal(1)))
    assert result.status is EmitStatus.DEFERRED
    assert result.attempts == 3 and len(transport.calls) == 3
    assert "TimeoutError" in (result.error or "")
    assert [record.signal_id for record in ledger.records] == [make_signal(1).signal_id]


def test_a_refused_connection_then_a_200_is_delivered_on_the_second_attempt(
    ledger, transport_for, answer, make_signal, run
) -> None:
    transport = transport_for(ledger, [ConnectionRefusedError("down"), answer("ack-2")])
    result = run(emitter_with(ledger, transport).emit(make_signal(1)))
    assert result.status is EmitStatus.DELIVERED and result.attempts == 2


def test_a_5xx_is_retried_but_a_4xx_rejection_is_not(ledger, transport_for, answer, make_signal, run) -> None:
    transport = transport_for(ledger, [(503, b"busy"), answer("ack-3")])
    assert run(emitter_with(ledger, transport).emit(make_signal(1))).attempts == 2

    transport = transport_for(ledger, [(422, b'{"status":"invalid"}')])
    result = run(emitter_with(ledger, transport).emit(make_signal(2)))
    assert result.status is EmitStatus.DEFERRED and result.attempts == 1
    assert "HTTP 422" in (result.error or "")


def test_a_200_without_an_ack_id_is_delivered_but_says_so(ledger, transport_for, make_signal, run) -> None:
    transport = transport_for(ledger, [(200, b"not json")])
    result = run(emitter_with(ledger, transport).emit(make_signal(1)))
    assert result.status is EmitStatus.DELIVERED and result.ack_id is None
    assert "without an ack_id" in (result.error or "")


def test_the_breaker_opens_after_repeated_failures_and_then_defers_without_pushing(
    ledger, transport_for, make_signal, run, manual_time
) -> None:
    transport = transport_for(ledger, [TimeoutError(), TimeoutError()])
    emitter = emitter_with(ledger, transport, max_attempts=1, breaker_failure_threshold=2, time_s=manual_time)

    async def scenario():
        return [await emitter.emit(make_signal(n)) for n in (1, 2, 3)]

    results = run(scenario())
    assert [r.status for r in results] == [EmitStatus.DEFERRED] * 3
    assert len(transport.calls) == 2, "the third push must not be attempted while the circuit is open"
    assert results[2].attempts == 0 and "circuit open" in (results[2].error or "")
    assert len(ledger.records) == 3, "deferred signals are still written to the ledger"


def test_after_the_reset_time_exactly_one_probe_goes_through_and_its_success_closes_the_breaker(
    ledger, transport_for, answer, make_signal, run, manual_time
) -> None:
    gate = asyncio.Event()

    async def slow_ok():
        await gate.wait()
        return answer("ack-probe")

    transport = transport_for(ledger, [TimeoutError(), slow_ok, answer("ack-after")])
    emitter = emitter_with(
        ledger, transport, max_attempts=1, breaker_failure_threshold=1, breaker_reset_s=5.0, time_s=manual_time
    )

    async def scenario():
        first = await emitter.emit(make_signal(1))
        manual_time.now_s = 5.0
        probe = asyncio.ensure_future(emitter.emit(make_signal(2)))
        await asyncio.sleep(0)
        while_probing = await emitter.emit(make_signal(3))
        gate.set()
        after_probe = await probe
        closed = await emitter.emit(make_signal(4))
        return first, while_probing, after_probe, closed

    first, while_probing, probe, closed = run(scenario())
    assert first.status is EmitStatus.DEFERRED
    assert while_probing.status is EmitStatus.DEFERRED and while_probing.attempts == 0
    assert probe.status is EmitStatus.DELIVERED and probe.ack_id == "ack-probe"
    assert closed.status is EmitStatus.DELIVERED and closed.ack_id == "ack-after"
    assert emitter.backpressure.breaker.state == "closed"


def test_a_failed_probe_reopens_the_breaker(ledger, transport_for, make_signal, run, manual_time) -> None:
    transport = transport_for(ledger, [TimeoutError(), TimeoutError()])
    emitter = emitter_with(ledger, transport, max_attempts=1, breaker_failure_threshold=1, breaker_reset_s=5.0,
                           time_s=manual_time)

    async def scenario():
        await emitter.emit(make_signal(1))
        manual_time.now_s = 5.0
        probe = await emitter.emit(make_signal(2))
        manual_time.now_s = 9.0
        refused = await emitter.emit(make_signal(3))
        return probe, refused

    probe, refused = run(scenario())
    assert probe.attempts == 1 and refused.attempts == 0
    assert emitter.backpressure.breaker.state == "open"
    assert emitter.backpressure.breaker.opened_count == 2


def test_a_cancelled_probe_frees_the_probe_slot(ledger, transport_for, answer, make_signal, run, manual_time) -> None:
    async def hang():
        await asyncio.Event().wait()

    transport = transport_for(ledger, [TimeoutError(), hang, answer("ack-next")])
    emitter = emitter_with(ledger, transport, max_attempts=1, breaker_failure_threshold=1, time_s=manual_time)

    async def scenario():
        await emitter.emit(make_signal(1))
        manual_time.now_s = 10.0
        probe = asyncio.ensure_future(emitter.emit(make_signal(2)))
        await asyncio.sleep(0)
        probe.cancel()
        with pytest.raises(asyncio.CancelledError):
            await probe
        return await emitter.emit(make_signal(3))

    result = run(scenario())
    assert result.status is EmitStatus.DELIVERED
    assert emitter.backpressure.in_flight == 0


def test_when_pushes_in_flight_are_at_the_limit_a_new_emit_is_deferred_without_queueing(
    ledger, transport_for, answer, make_signal, run
) -> None:
    gate = asyncio.Event()

    async def slow_ok():
        await gate.wait()
        return answer("ack-slow")

    transport = transport_for(ledger, [slow_ok])
    emitter = emitter_with(ledger, transport, max_in_flight=1)

    async def scenario():
        first = asyncio.ensure_future(emitter.emit(make_signal(1)))
        await asyncio.sleep(0)
        second = await emitter.emit(make_signal(2))
        gate.set()
        return await first, second

    first, second = run(scenario())
    assert first.status is EmitStatus.DELIVERED
    assert second.status is EmitStatus.DEFERRED and second.attempts == 0
    assert "backpressure" in (second.error or "")
    assert len(transport.calls) == 1 and len(ledger.records) == 2
    assert emitter.backpressure.in_flight == 0 and emitter.backpressure.refused_count == 1


def test_the_request_body_round_trips_to_the_written_event(ledger, transport_for, answer, make_signal, run) -> None:
    transport = transport_for(ledger, [answer("a")])
    run(emitter_with(ledger, transport).emit(make_signal(5)))
    sent = json.loads(transport.calls[0][1])
    assert sent["ledger_partition"] == "2024-03-01" and sent["ledger_sequence"] == 1


def test_a_ledger_that_refuses_the_record_as_corrupt_or_too_large_pushes_nothing() -> None:
    """Every way the ledger refuses a record ends as FAILED with the reason; nothing is pushed."""
    from datetime import datetime, timezone

    from omen import LedgerCorruptionError, LedgerRecordTooLargeError, SignalEvent
    from omen.emitter import BackpressureController, EmitStatus, SignalEmitter

    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    event = SignalEvent.create(event_id="e", input_event={"n": 1}, ruleset_version="r", category="c",
                               observed_at=moment, emitted_at=moment)
    pushed: list[bytes] = []

    class Transport:
        async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
            pushed.append(body)
            return 200, b'{"ack_id":"a"}'

    for refusal in (LedgerCorruptionError("2026-01-01", "segment-000001.log", 8, "CRC mismatch"),
                    LedgerRecordTooLargeError("too large")):
        class Ledger:
            def write(self, _event: SignalEvent) -> SignalEvent:
                raise refusal

        emitter = SignalEmitter(Ledger(), Transport(), "http://riskcast/ingest",
                                backpressure=BackpressureController())
        result = asyncio.run(emitter.emit(event))
        assert result.status is EmitStatus.FAILED and type(refusal).__name__ in (result.error or "")
    assert pushed == []
