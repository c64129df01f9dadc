"""SignalEmitter: ledger first, then a bounded push to RiskCast's ingest URL.

WHY ledger-first: the ledger is the source of truth that reconcile replays from. A push is only
ever made with the event the ledger write RETURNED (so it carries its partition and sequence), and
only after that write returned, i.e. after the record is durable. If the write fails, nothing is
pushed: RiskCast must never hold a signal the ledger could lose. Any push that is not confirmed
(timeout, refused, 5xx, breaker open, backpressure) is DEFERRED, not lost: reconcile delivers it.
"""
from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable
from operator import itemgetter
from typing import Protocol

from pydantic_core import from_json

from omen.emitter.backpressure import BackpressureController
from omen.emitter.breaker import Admission
from omen.emitter.result import EmitResult, EmitStatus
from omen.ledger import LedgerCorruptionError, LedgerRecordTooLargeError, LedgerWriteError
from omen.ports import Transport as TransportPort
from omen.schema import SignalEvent

RESPONSE_SNIPPET_BYTES_MAX = 200
# A confirmed push's result fields, read from the placed event's field dict.
_RESULT_FIELDS = itemgetter("signal_id", "ledger_partition", "ledger_sequence")
# Enum members, bound once: a member read off its class goes through `EnumType.__getattr__`'s hook
# (about 850 instructions), and every push read two (a deferred one, three). The same singletons (members cannot be rebound).
_REFUSED = Admission.REFUSED
_DELIVERED, _DUPLICATE, _DEFERRED = EmitStatus.DELIVERED, EmitStatus.DUPLICATE, EmitStatus.DEFERRED


class LedgerPort(Protocol):
    """A LedgerWriter (`write` returns the placed event) or a GroupCommitter (`write` is async)."""

    def write(self, event: SignalEvent) -> SignalEvent | Awaitable[SignalEvent]: ...


def _ack_id_of(response: bytes) -> str | None:
    """The ack_id of a 200/409 body, None when it carries none.

    WHY `from_json` first: it parses these small UTF-8 bodies several times faster than
    `json.loads`, and it runs once per confirmed push. Whatever it refuses (a BOM, another UTF
    encoding, a lone surrogate escape) is handed to `json.loads`, so a body `json.loads` reads
    still yields its ack_id."""
    try:
        document = from_json(response)
    except ValueError:
        try:
            document = json.loads(response)
        except ValueError:
            return None
    ack_id = document.get("ack_id") if isinstance(document, dict) else None
    return ack_id if isinstance(ack_id, str) and ack_id else None


class SignalEmitter:
    def __init__(
        self,
        ledger: LedgerPort,
        transport: TransportPort,
        ingest_url: str,
        *,
        backpressure: BackpressureController,
        push_timeout_s: float = 2.0,
    ) -> None:
        if push_timeout_s <= 0:
            raise ValueError(f"push_timeout_s must be > 0, got {push_timeout_s}")
        self._ledger = ledger
        self._transport = transport
        self.ingest_url = ingest_url
        self.backpressure = backpressure
        self.push_timeout_s = push_timeout_s

    async def emit(self, event: SignalEvent) -> EmitResult:
        try:
            outcome = self._ledger.write(event)
            # a group committer returns only after its batch's fsync: awaiting it keeps ledger-first
            # (a LedgerWriter returns the placed event itself, which is never awaitable)
            written = outcome if type(outcome) is SignalEvent else (
                await outcome if inspect.isawaitable(outcome) else outcome)
        except (LedgerWriteError, LedgerCorruptionError, LedgerRecordTooLargeError) as error:
            # every way the ledger can refuse the record: nothing is pushed, the caller learns why
            return EmitResult(
                EmitStatus.FAILED, event.signal_id, None, None, None, 0,
                f"ledger write failed ({type(error).__name__}): {error}",
            )
        # read from the field dicts: every attribute of a model goes through pydantic's `__getattr__` hook
        placed = written.__dict__
        assert placed["signal_id"] == event.__dict__["signal_id"], "the ledger must return the event it wrote"
        assert placed["ledger_partition"] is not None and placed["ledger_sequence"] is not None, (
            "the ledger must return the event with its ledger metadata set"
        )
        if not self.backpressure.try_acquire():
            return self._deferred(
                written, 0, f"backpressure: {self.backpressure.max_in_flight} pushes already in flight"
            )
        try:
            return await self._push(written, written.json_bytes())  # the bytes the ledger framed
        finally:
            self.backpressure.release()

    async def _push(self, written: SignalEvent, body: bytes) -> EmitResult:
        breaker = self.backpressure.breaker
        max_attempts = self.backpressure.max_attempts
        attempts = 0
        last_error = "no attempt made"
        for attempt in range(1, max_attempts + 1):
            admission = breaker.admit()
            if admission is _REFUSED:
                detail = "" if attempts == 0 else f"; last error: {last_error}"
                return self._deferred(
                    written, attempts, f"circuit open: RiskCast failed repeatedly, reconcile will deliver{detail}"
                )
            attempts = attempt
            try:
                status, response = await self._transport.post(self.ingest_url, body, self.push_timeout_s)
            except (TimeoutError, ConnectionError) as error:
                breaker.record_failure()
                last_error = f"{type(error).__name__}: {error}"
            except BaseException:
                breaker.abandon(admission)
                raise
            else:
                if status == 200 or status == 409:
                    breaker.record_success()
                    kind = _DELIVERED if status == 200 else _DUPLICATE
                    ack_id = _ack_id_of(response)
                    note = None if ack_id is not None else f"HTTP {status} without an ack_id in its body"
                    signal_id, partition, sequence = _RESULT_FIELDS(written.__dict__)  # one C call, not three hooks
                    return EmitResult(kind, signal_id, ack_id, partition, sequence, attempts, note)
                if status >= 500:
                    breaker.record_failure()
                    last_error = f"HTTP {status}"
                else:
                    # RiskCast is up but refuses this body: retrying the same bytes cannot help.
                    breaker.record_success()
                    snippet = response[:RESPONSE_SNIPPET_BYTES_MAX].decode("utf-8", "replace")
                    return self._deferred(written, attempts, f"rejected with HTTP {status}: {snippet}")
            if attempt < max_attempts:
                await asyncio.sleep(self.backpressure.backoff_s(attempt))
        return self._deferred(written, attempts, f"push not confirmed after {attempts} attempts: {last_error}")

    @staticmethod
    def _deferred(written: SignalEvent, attempts: int, error: str) -> EmitResult:
        signal_id, partition, sequence = _RESULT_FIELDS(written.__dict__)  # the fields a push's result reads
        return EmitResult(_DEFERRED, signal_id, None, partition, sequence, attempts, error)
