"""Observer of the reconcile state: does the partition's recorded highwater cover what RiskCast holds?

Reads the state rows from the database itself (not the job's report) and each changed partition's
CRC-valid records straight off the ledger's files (not through the system's reader). A record at or
below the highwater that RiskCast does not hold is "missing": `reconcile_discipline` judges it.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from scenarios.observers.files import FileView
from scenarios.observers.ledger_files import partition_records
from scenarios.observers.riskcast_rows import reconcile_state_rows, stored_signal_ids


class ReconcileStateObserver:
    def __init__(self, conn: sqlite3.Connection, files: FileView, root: str, record: Callable[..., int]) -> None:
        self._conn = conn
        self._files = files
        self._root = root
        self._record = record
        self._seen: dict[str, tuple[Any, Any]] = {}  # partition -> (highwater, reconciled_at) last looked at

    def observe(self) -> None:
        """Record a "reconcile.state" event for each row that changed since the last look."""
        rows = reconcile_state_rows(self._conn)
        changed = [(p, h) for p, h, at in rows if h is not None and self._seen.get(p) != (h, at)]
        self._seen.update({p: (h, at) for p, h, at in rows})
        if not changed:
            return
        stored = stored_signal_ids(self._conn)
        for partition, highwater in changed:
            records = partition_records(self._files, self._root, partition)
            covered = {signal_id for signal_id, sequence in records if sequence <= int(highwater)}
            missing = sorted(covered - stored)
            self._record(
                "reconciler", "reconcile.state", partition=partition, highwater=int(highwater), missing=missing
            )
