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

    def __post_init__(self) -> None:
        status, attempts = self.status, self.attempts  # one result per signal: read each field once
        assert attempts >= 0, attempts
        if status is EmitStatus.FAILED:
            assert attempts == 0, "a failed ledger write must never be followed by a push"
            assert self.ledger_sequence is None
        else:
            assert self.ledger_partition is not None and self.ledger_sequence is not None, (
                "every status but FAILED means the ledger write returned"
            )
        if status in _CONFIRMED:
            assert attempts >= 1


_CONFIRMED = (EmitStatus.DELIVERED, EmitStatus.DUPLICATE)  # the statuses RiskCast answered for
