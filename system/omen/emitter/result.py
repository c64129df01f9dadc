"""What `SignalEmitter.emit` reports: one of four outcomes, never an exception for a push failure.

WHY a status and not an exception: a push that fails is not an error of the pipeline (the ledger
holds the signal and reconcile will deliver it); only the caller decides what to do with each case.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EmitStatus(StrEnum):
    DELIVERED = "delivered"  # RiskCast answered 200: stored now, ack_id is new
    DUPLICATE = "duplicate"  # RiskCast answered 409: stored before, ack_id is the original
    DEFERRED = "deferred"  # in the ledger, push not confirmed: reconcile will deliver it
    FAILED = "failed"  # the ledger write failed: nothing written, nothing pushed


@dataclass(frozen=True, slots=True)
class EmitResult:
    status: EmitStatus
    signal_id: str
    ack_id: str | None
    ledger_partition: str | None
    ledger_sequence: int | None
    attempts: int
    error: str | None = None

    def __init__(
        self,
        status: EmitStatus,
        signal_id: str,
        ack_id: str | None,
        ledger_partition: str | None,
        ledger_sequence: int | None,
        attempts: int,
        error: str | None = None,
    ) -> None:
        """The generated frozen `__init__`, with its checks, written out: it looks `object.__setattr__`
        up again for every field, and every emitted signal builds one result (a test holds the
        fields, the equality and the refusals to the generated one's)."""
        assert attempts >= 0, attempts
        if status is _FAILED:
            assert attempts == 0, "a failed ledger write must never be followed by a push"
            assert ledger_sequence is None
        else:
            assert ledger_partition is not None and ledger_sequence is not None, (
                "every status but FAILED means the ledger write returned"
            )
        if status in _CONFIRMED:
            assert attempts >= 1
        _set_field(self, "status", status)
        _set_field(self, "signal_id", signal_id)
        _set_field(self, "ack_id", ack_id)
        _set_field(self, "ledger_partition", ledger_partition)
        _set_field(self, "ledger_sequence", ledger_sequence)
        _set_field(self, "attempts", attempts)
        _set_field(self, "error", error)


_CONFIRMED = (EmitStatus.DELIVERED, EmitStatus.DUPLICATE)  # the statuses RiskCast answered for
_FAILED = EmitStatus.FAILED
_set_field = object.__setattr__  # frozen: the class's own __setattr__ refuses
