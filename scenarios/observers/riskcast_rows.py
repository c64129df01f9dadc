"""What RiskCast's database holds, read as rows from a `sqlite3.Connection` (simulated or real).

The queries name the columns of `system/riskcast/tables.py`; they are the observers' only SQL.
"""
from __future__ import annotations

import sqlite3
from typing import Any

STORED_COLUMNS = ("signal_id", "ack_id", "ledger_partition", "ledger_sequence", "emitted_at", "received_at")


def stored_signal_ids(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT signal_id FROM signals")}


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
