"""What RiskCast's database holds, read as rows from a `sqlite3.Connection` (simulated or real).

The queries name the columns of `system/riskcast/tables.py`; they are the observers' only SQL.
"""
from __future__ import annotations

import sqlite3
from typing import Any

STORED_COLUMNS = ("signal_id", "ack_id", "ledger_partition", "ledger_sequence", "emitted_at", "received_at")


class _StoredIdsMemo:
    """The stored ids of the last read, of the connection read last (one: the memo's bound).

    WHY: the liveness phase reads every stored id twice per pass (the reconcile observer's look,
    then `missing_count`) with no write between, each a whole-table SELECT. The rows are the same
    while the connection's `total_changes` (every row an INSERT, UPDATE or DELETE of this connection
    changed, rolled back or not: it only grows) and `PRAGMA data_version` (moved by any other
    connection's commit) are, outside a transaction (one rolled back later would leave the count but
    not the rows). DDL is not counted: nothing drops or rebuilds `signals`. The connection is held,
    not its id (a connection cannot be weakly referenced, and an id is reused once it is freed).
    """

    __slots__ = ("_conn", "_key", "_ids")

    def __init__(self) -> None:
        self._conn: sqlite3.Connection | None = None
        self._key: tuple[int, int] = (-1, -1)
        self._ids: set[str] = set()

    def ids(self, conn: sqlite3.Connection) -> set[str]:
        if conn.in_transaction:
            return {row[0] for row in conn.execute("SELECT signal_id FROM signals")}
        key = (conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0])
        if conn is not self._conn or key != self._key:
            self._ids = {row[0] for row in conn.execute("SELECT signal_id FROM signals")}
            self._conn, self._key = conn, key
            # the read itself changes neither: the next read with nothing written between is a hit
            assert (conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0]) == key
        return set(self._ids)  # a copy: callers may change theirs


_STORED_IDS = _StoredIdsMemo()


def stored_signal_ids(conn: sqlite3.Connection) -> set[str]:
    """Every stored signal id: a fresh set, the caller's to change (read through `_StoredIdsMemo`)."""
    return _STORED_IDS.ids(conn)


def stored_rows(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Every stored signal, as `STORED_COLUMNS`, ordered by signal_id."""
    return conn.execute(f"SELECT {', '.join(STORED_COLUMNS)} FROM signals ORDER BY signal_id").fetchall()


def reconcile_highwaters(conn: sqlite3.Connection) -> dict[str, int | None]:
    """partition -> the ledger_highwater the reconcile state holds (None: not reconciled yet)."""
    return dict(conn.execute("SELECT partition, ledger_highwater FROM reconcile_state ORDER BY partition"))


def reconcile_state_rows(conn: sqlite3.Connection) -> list[tuple[str, Any, Any]]:
    """(partition, ledger_highwater, reconciled_at) of every reconcile-state row, by partition."""
    return conn.execute(
        "SELECT partition, ledger_highwater, reconciled_at FROM reconcile_state ORDER BY partition"
    ).fetchall()
