"""EmitResult's written-out `__init__` is the generated frozen dataclass's, checks included.

Held to a reference built by `@dataclass(frozen=True, slots=True)` with the old `__post_init__`
checks, over every status and field shape: the same fields, the same refusals. Mutants caught: a
field set from the wrong argument, a dropped check (FAILED with attempts, DELIVERED without any).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omen.emitter.result import EmitResult, EmitStatus


@dataclass(frozen=True, slots=True)
class Reference:
    status: EmitStatus
    signal_id: str
    ack_id: str | None
    ledger_partition: str | None
    ledger_sequence: int | None
    attempts: int
    error: str | None = None

    def __post_init__(self) -> None:
        assert self.attempts >= 0
        if self.status is EmitStatus.FAILED:
            assert self.attempts == 0
            assert self.ledger_sequence is None
        else:
            assert self.ledger_partition is not None and self.ledger_sequence is not None
        if self.status in (EmitStatus.DELIVERED, EmitStatus.DUPLICATE):
            assert self.attempts >= 1


def built(kind, arguments):
    try:
        return dataclasses.astuple(kind(*arguments))
    except AssertionError:
        return "refused"


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from(list(EmitStatus)), signal_id=st.text(max_size=4), ack_id=st.none() | st.text(max_size=4),
    partition=st.none() | st.just("2026-01-02"), sequence=st.none() | st.integers(1, 9),
    attempts=st.integers(-1, 3), error=st.none() | st.text(max_size=4), keep_default=st.booleans(),
)
def test_the_fields_and_refusals_are_the_generated_inits(status, signal_id, ack_id, partition, sequence, attempts,
                                                         error, keep_default):
    arguments = (status, signal_id, ack_id, partition, sequence, attempts) + (() if keep_default else (error,))
    assert built(EmitResult, arguments) == built(Reference, arguments)


def test_it_is_still_a_frozen_dataclass_with_slots():
    result = EmitResult(EmitStatus.DELIVERED, "OMEN-1", "ack-1", "2026-01-02", 5, 1)
    assert [f.name for f in dataclasses.fields(result)] == [f.name for f in dataclasses.fields(Reference)]
    assert dataclasses.replace(result, attempts=2) == EmitResult(EmitStatus.DELIVERED, "OMEN-1", "ack-1", "2026-01-02", 5, 2)
    assert not hasattr(result, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.attempts = 3  # type: ignore[misc]
