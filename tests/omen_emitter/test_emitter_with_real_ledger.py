"""The emitter over the real LedgerWriter and LedgerReader on the real `os`, in a temp dir."""
from __future__ import annotations

import asyncio
import errno
import os

from omen import FixedClock, LedgerReader, LedgerWriter
from omen.emitter import BackpressureController, EmitStatus, SignalEmitter

URL = "http://riskcast/api/v1/signals/ingest"


class DiskFullOs:
    """The real `os`, except that every write reports ENOSPC."""

    def __getattr__(self, name: str):
        return getattr(os, name)

    def write(self, fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


class TimingOut:
    def __init__(self) -> None:
        self.calls = 0

    async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        self.calls += 1
        raise TimeoutError(f"no answer within {timeout_s}s")


def test_a_push_that_times_out_leaves_the_record_durable_in_the_real_ledger(tmp_path, make_signal) -> None:
    clock = FixedClock(make_signal(1).emitted_at)
    writer = LedgerWriter(str(tmp_path), clock=clock)
    transport = TimingOut()
    emitter = SignalEmitter(writer, transport, URL,
                            backpressure=BackpressureController(max_attempts=2, backoff_base_s=0.0))
    result = asyncio.run(emitter.emit(make_signal(1)))
    writer.close()

    assert result.status is EmitStatus.DEFERRED and transport.calls == 2
    records = list(LedgerReader(str(tmp_path)).read_partition(result.ledger_partition))
    assert [(r.event.signal_id, r.sequence) for r in records] == [(make_signal(1).signal_id, result.ledger_sequence)]


def test_a_ledger_write_that_fails_on_the_real_writer_pushes_nothing(tmp_path, make_signal) -> None:
    clock = FixedClock(make_signal(1).emitted_at)
    writer = LedgerWriter(str(tmp_path), fs=DiskFullOs(), clock=clock)
    transport = TimingOut()
    emitter = SignalEmitter(writer, transport, URL, backpressure=BackpressureController())
    result = asyncio.run(emitter.emit(make_signal(1)))

    assert result.status is EmitStatus.FAILED and transport.calls == 0
    assert "ledger write failed" in (result.error or "")
    reader = LedgerReader(str(tmp_path))
    assert all(list(reader.read_partition(p)) == [] for p in reader.list_partitions())
