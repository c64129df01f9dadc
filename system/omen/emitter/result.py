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
        fields, the equality and the refusals to the generated one's). Each field is stored by its
        own slot's descriptor: `object.__setattr__` also looks the name up on the type and checks
        the setattr chain (about 1.2 k instructions a field against 0.65 k)."""
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
        _set_status(self, status)
        _set_signal_id(self, signal_id)
        _set_ack_id(self, ack_id)
        _set_ledger_partition(self, ledger_partition)
        _set_ledger_sequence(self, ledger_sequence)
        _set_attempts(self, attempts)
        _set_error(self, error)


_CONFIRMED = (EmitStatus.DELIVERED, EmitStatus.DUPLICATE)  # the statuses RiskCast answered for
_FAILED = EmitStatus.FAILED
# frozen: the class's own __setattr__ refuses, so each field is set through its slot's descriptor
(_set_status, _set_signal_id, _set_ack_id, _set_ledger_partition, _set_ledger_sequence, _set_attempts,
 _set_error) = (EmitResult.__dict__[name].__set__ for name in EmitResult.__slots__)
assert EmitResult.__slots__ == ("status", "signal_id", "ack_id", "ledger_partition", "ledger_sequence", "attempts",
                                "error"), "the setters above are bound in the fields' order"
