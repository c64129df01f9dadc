"""Observer of power losses: right after a crash was applied, what reads see is what survived.

`ledger_first` compares the snapshot's recovered ids with what RiskCast held at that moment;
`monotonic_sequence` checks that no (partition, sequence) that survived is later lost or reused.
"""
from __future__ import annotations

import sqlite3
from operator import itemgetter
from collections.abc import Callable

from scenarios.observers.files import FileView
from scenarios.observers.ledger_files import partition_names, partition_records
from scenarios.observers.observations import CrashSnapshot
from scenarios.observers.riskcast_rows import stored_signal_ids


def surviving_ledger(files: FileView, root: str) -> tuple[dict[tuple[str, int], str], set[str], int]:
    """(placed, recovered ids, record count) of the ledger's CRC-valid records."""
    placed: dict[tuple[str, int], str] = {}
    recovered_ids: set[str] = set()
    records = 0
    for partition in partition_names(files, root):
        found = partition_records(files, root, partition)
        # the first record of each sequence, in read order (keys hold the partition: none is shared)
        held = {(partition, sequence): signal_id for signal_id, sequence in found}
        if len(held) < len(found):  # a sequence read twice: the first one read is what is placed
            held = {}
            for signal_id, sequence in found:
                held.setdefault((partition, sequence), signal_id)
        placed.update(held)
        recovered_ids.update(map(itemgetter(0), found))
        records += len(found)
    assert len(placed) <= records and len(recovered_ids) <= records
    return placed, recovered_ids, records


def snapshot_after_crash(files: FileView, root: str, conn: sqlite3.Connection,
                         record: Callable[..., int]) -> CrashSnapshot:
    """Read the surviving ledger and the stored ids, mark the moment in the trace ("ledger.recovered")."""
    placed, recovered_ids, records = surviving_ledger(files, root)
    stored = stored_signal_ids(conn)
    index = record("omen", "ledger.recovered", records=records)
    return CrashSnapshot(index, placed, recovered_ids, stored)
