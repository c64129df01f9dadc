"""The sealer's pass: seal every main partition whose day is over, one partition at a time.

WHY a function of its own: a pass that stops at its first failure leaves every later day open
for writes, and reconcile never runs over an open main partition, so whatever those days lost
is never reported. Each partition is sealed or fails on its own; the pass always reaches the end
of the list, and says what failed so the caller can log it and try again on the next pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from omen.ledger.errors import LedgerCorruptionError, LedgerWriteError


class SealableLedger(Protocol):
    def get_partitions_to_seal(self, now: datetime, grace: timedelta) -> list[str]: ...

    def seal_partition(self, partition: str) -> object: ...


@dataclass(frozen=True)
class SealFailure:
    partition: str | None  # None: the ledger root itself could not be listed
    error: str


@dataclass(frozen=True)
class SealPass:
    due: tuple[str, ...]
    sealed: tuple[str, ...]
    failed: tuple[SealFailure, ...]


def seal_due_partitions(ledger: SealableLedger, now: datetime, grace: timedelta) -> SealPass:
    """Seal each main partition due at `now` (its UTC day ended more than `grace` ago).

    A partition the disk refuses (`LedgerWriteError`) or whose bytes are damaged
    (`LedgerCorruptionError`) is reported and skipped; the pass goes on with the next one.
    """
    try:
        due = tuple(ledger.get_partitions_to_seal(now, grace))
    except LedgerWriteError as error:
        return SealPass(due=(), sealed=(), failed=(SealFailure(None, str(error)),))
    sealed: list[str] = []
    failed: list[SealFailure] = []
    for partition in due:
        try:
            ledger.seal_partition(partition)
        except (LedgerWriteError, LedgerCorruptionError) as error:
            failed.append(SealFailure(partition, str(error)))
            continue
        sealed.append(partition)
    assert len(sealed) + len(failed) == len(due), "every due partition is either sealed or reported"
    return SealPass(due=due, sealed=tuple(sealed), failed=tuple(failed))


__all__ = ["SealFailure", "SealPass", "SealableLedger", "seal_due_partitions"]
