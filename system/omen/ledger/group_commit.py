"""GroupCommitter: many concurrent ledger writes, one fsync, still ledger-first.

WHY: on a real disk an fsync costs far more than the bytes it flushes, so a writer that
fsyncs once per record is bound by fsync latency. The committer lets concurrent `write`
calls gather into one batch and hands the batch to `LedgerWriter.write_many` (one write +
one fsync per run of a partition). Each caller gets its placed event back only after the
fsync of the run holding its record returned: a push can never overtake its record.

How a batch forms (no threads, no timers beyond asyncio's own): the first caller to find
no batch in progress becomes the leader. It yields to the loop (`max_delay_s`, 0 = one
loop turn) so the other writers that are ready join the queue, then commits the queue in
batches of at most `max_batch` records, synchronously, and resolves every caller's future.
Callers that arrive while the leader commits wait for the next leader (the first of them).

Failure: a LedgerBatchWriteError splits the batch: the durable prefix gets its events,
the rest gets the error (not in the ledger; retry). Any other exception, and a process
death (a BaseException such as a simulated power loss), cancels every waiting caller of the
unfinished batch and propagates from the leader: no caller is told "written" for a record
whose fsync did not return.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

from omen.ledger.errors import LedgerRecordTooLargeError, LedgerWriteError
from omen.ledger.writer import LedgerBatchRecordTooLargeError, LedgerBatchWriteError
from omen.schema import SignalEvent

MAX_BATCH_DEFAULT = 256
PENDING_MAX_DEFAULT = 10_000


class BatchLedger(Protocol):
    def write_many(self, events: list[SignalEvent]) -> list[SignalEvent]: ...


class GroupCommitQueueFullError(LedgerWriteError):
    """More writes waiting than `pending_max`: the caller must back off (the record was not written)."""


class GroupCommitter:
    """Batches concurrent `await write(event)` calls into group commits on one LedgerWriter."""

    def __init__(
        self,
        writer: BatchLedger,
        *,
        max_batch: int = MAX_BATCH_DEFAULT,
        max_delay_s: float = 0.0,
        pending_max: int = PENDING_MAX_DEFAULT,
    ) -> None:
        if not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch must be a positive int, got {max_batch!r}")
        if not isinstance(pending_max, int) or pending_max < max_batch:
            raise ValueError(f"pending_max must be an int >= max_batch ({max_batch}), got {pending_max!r}")
        if not 0.0 <= max_delay_s <= 1.0:
            raise ValueError(f"max_delay_s must be within [0, 1] seconds, got {max_delay_s!r}")
        self._writer = writer
        self.max_batch = max_batch
        self.max_delay_s = max_delay_s
        self.pending_max = pending_max
        self._pending: deque[tuple[SignalEvent, asyncio.Future[SignalEvent]]] = deque()
        self._leading = False
        self.batches_committed = 0
        self.records_committed = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def write(self, event: SignalEvent) -> SignalEvent:
        """Return `event` placed in the ledger, once durable. Raises what `LedgerWriter.write` raises."""
        if len(self._pending) >= self.pending_max:
            raise GroupCommitQueueFullError(
                f"group commit queue holds {self.pending_max} writes; slow down or raise pending_max",
                OSError(0, "queue full"),
            )
        future: asyncio.Future[SignalEvent] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if not self._leading:
            self._leading = True
            try:
                await asyncio.sleep(self.max_delay_s)
            except BaseException:
                future.cancel()  # a leader cancelled while gathering: its own record is not written
                raise
            finally:
                # runs on cancellation too: the live followers must not wait for a leader that left.
                # A node crash cancels every caller first, so then nothing is left to write.
                try:
                    self._drain()
                finally:
                    self._leading = False
        return await future

    def _drain(self) -> None:
        """Commit everything queued now (nothing can join meanwhile: this runs without awaiting)."""
        batches_max = len(self._pending) // self.max_batch + 1
        for _ in range(batches_max):
            if not self._pending:
                return
            count = min(self.max_batch, len(self._pending))
            batch = [self._pending.popleft() for _ in range(count)]
            self._commit(batch)
        assert not self._pending, "the drain loop is bounded by the queue length at its start"

    def _commit(self, queued: list[tuple[SignalEvent, asyncio.Future[SignalEvent]]]) -> None:
        batch = [(event, future) for event, future in queued if not future.done()]  # cancelled callers drop out
        if not batch:
            return
        events = [event for event, _ in batch]
        try:
            placed = self._writer.write_many(events)
        except (LedgerBatchWriteError, LedgerBatchRecordTooLargeError) as error:
            placed = error.written
            self._resolve(batch[: len(placed)], placed)
            for event, future in batch[len(placed):]:
                if not future.done():
                    future.set_exception(self._failure_for(event, error))
                    # a caller cancelled meanwhile (its process died) never reads it: not an unhandled error
                    future.add_done_callback(_mark_retrieved)
            return
        except BaseException:
            # an unexpected error or the process dying mid-batch: no caller may learn "written"
            for _, future in batch:
                future.cancel()
            for _, future in self._pending:
                future.cancel()
            self._pending.clear()
            raise
        assert len(placed) == len(events), "write_many returns every event or raises"
        self._resolve(batch, placed)

    def _resolve(self, batch: list[tuple[SignalEvent, asyncio.Future[SignalEvent]]], placed: list[SignalEvent]) -> None:
        for (event, future), written in zip(batch, placed):
            assert written.signal_id == event.signal_id, "write_many keeps the order of its input"
            if not future.done():
                future.set_result(written)
        self.batches_committed += 1
        self.records_committed += len(placed)

    @staticmethod
    def _failure_for(event: SignalEvent, error: Exception) -> Exception:
        if isinstance(error, LedgerBatchRecordTooLargeError):
            return LedgerRecordTooLargeError(f"signal {event.signal_id} not written: {error}")
        assert isinstance(error, LedgerWriteError)
        return LedgerWriteError(f"signal {event.signal_id} not written in its group commit", error.cause)


def _mark_retrieved(future: asyncio.Future[SignalEvent]) -> None:
    future.exception()


__all__ = ["BatchLedger", "GroupCommitQueueFullError", "GroupCommitter", "MAX_BATCH_DEFAULT", "PENDING_MAX_DEFAULT"]
