"""The ports RiskCast takes its world through: clock, SQL runner, transport, ledger reader.

WHY protocols and not concrete classes: the same RiskCast code runs against a SQLite file on a
worker thread and real HTTP (real mode), and against an in-memory connection, a virtual clock and a
simulated network (simulation). Everything is passed in as a constructor argument; nothing is global.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from omen import Clock, LedgerRecord, Transport  # one Clock and one Transport protocol for the whole system

T = TypeVar("T")


class SqlRunner(Protocol):
    """Runs one plain sync SQL function against the runner's connection.

    Each `fn` either fully commits or rolls back within that one call, so no transaction is
    ever split across an await (persist-before-ack depends on it).
    """

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...


class PartitionInfoLike(Protocol):
    is_sealed: bool
    is_late: bool
    highwater_sequence: int
    manifest_revision: int


class LedgerReaderLike(Protocol):
    """The part of `omen.LedgerReader` reconcile uses (sync: called directly)."""

    def list_partitions(self) -> list[str]: ...

    def read_partition(self, partition: str) -> Iterator[LedgerRecord]: ...

    def scan_partition(self, partition: str) -> Iterator[Any]:
        """Records with `.signal_id`, `.sequence` and a lazily validated `.record` (omen.ScannedRecord)."""
        ...

    def salvage_partition(self, partition: str) -> Any:
        """Intact records and the exact loss of a damaged partition (omen.ledger.SalvageResult)."""
        ...

    def get_partition_info(self, partition: str, *, reread_closed: bool = True) -> Any:
        """`reread_closed=False`: closed segments verified before are not read again (between scrubs)."""
        ...


AckIdSource = Callable[[], str]
