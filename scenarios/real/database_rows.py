"""RiskCast's database as the harness sees it: rows of the real SQLite file, read with plain SQL.

Opened per read and closed at once (WAL lets a reader in beside the running server). A read that
meets a locked or half-created database retries a bounded number of times, then reports nothing:
callers use these rows as evidence against the system, so "nothing" can never invent a violation.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

READ_ATTEMPTS_MAX = 20
BUSY_TIMEOUT_S = 2.0

STORED_ROWS_SQL = ("SELECT signal_id, ack_id, ledger_partition, ledger_sequence, emitted_at, received_at "
                   "FROM signals ORDER BY signal_id")


def _query(db_path: Path, sql: str) -> list[tuple[Any, ...]] | None:
    if not db_path.exists():
        return []
    for _ in range(READ_ATTEMPTS_MAX):
        try:
            with closing(sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_S)) as conn:
                return conn.execute(sql).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            continue
    return None


def stored_rows(db_path: Path) -> list[tuple[Any, ...]]:
    return _query(db_path, STORED_ROWS_SQL) or []


def stored_ids(db_path: Path) -> set[str] | None:
    """Every stored signal_id, or None when the database could not be read."""
    rows = _query(db_path, "SELECT signal_id FROM signals")
    return None if rows is None else {row[0] for row in rows}


def reconcile_state(db_path: Path) -> list[tuple[str, int | None, str | None]]:
    return _query(db_path, "SELECT partition, ledger_highwater, reconciled_at FROM reconcile_state "
                           "ORDER BY partition") or []
