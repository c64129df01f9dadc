"""RiskCast's SQLite schema and the one transaction helper every SQL function uses.

WHY explicit `BEGIN IMMEDIATE`: it takes the write lock up front (so a busy database waits on the
busy timeout instead of failing at commit), and it behaves the same whatever `isolation_level`
the connection was opened with, real file or simulated in-memory connection.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

SCHEMA_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS signals (
        signal_id TEXT PRIMARY KEY,
        ack_id TEXT NOT NULL,
        ledger_partition TEXT,
        ledger_sequence INTEGER,
        trace_id TEXT,
        emitted_at TEXT,
        received_at TEXT,
        event_json TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS signals_by_partition ON signals (ledger_partition)",
    """CREATE TABLE IF NOT EXISTS reconcile_state (
        partition TEXT PRIMARY KEY,
        ledger_highwater INTEGER NOT NULL,
        manifest_revision INTEGER NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        ledger_count INTEGER NOT NULL,
        replayed_count INTEGER NOT NULL,
        extra_count INTEGER NOT NULL,
        reconciled_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS reconcile_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        partition TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        ledger_highwater INTEGER,
        manifest_revision INTEGER,
        ran_at TEXT,
        result_json TEXT NOT NULL
    )""",
)


def in_transaction(conn: sqlite3.Connection, work: Callable[[], T]) -> T:
    """Run `work` inside BEGIN IMMEDIATE .. COMMIT; roll back on any exception (crash included)."""
    assert not conn.in_transaction, "a SQL function must not start inside another transaction"
    # one cursor for the transaction's own statements: `conn.execute` makes a new one per call
    control = conn.cursor()
    control.execute("BEGIN IMMEDIATE")
    try:
        result = work()
    except BaseException:
        control.execute("ROLLBACK")
        raise
    control.execute("COMMIT")
    assert not conn.in_transaction
    return result


def execute_in_transaction(conn: sqlite3.Connection, statement: str, parameters: tuple[object, ...]) -> sqlite3.Cursor:
    """`in_transaction(conn, lambda: conn.execute(statement, parameters))`, on one cursor.

    WHY: RiskCast's hottest SQL call (one signal's INSERT) is one statement in its own
    transaction; one cursor serves the BEGIN, the statement, the COMMIT or ROLLBACK, where the
    general helper makes a cursor for its own statements and `conn.execute` another, around a
    closure. The same statements in the same order (a test holds the two paths' SQL traces equal).
    """
    assert not conn.in_transaction, "a SQL function must not start inside another transaction"
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    try:
        cursor.execute(statement, parameters)
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    cursor.execute("COMMIT")
    assert not conn.in_transaction
    return cursor


def init_schema(conn: sqlite3.Connection) -> None:
    """Create every RiskCast table and index; idempotent (safe on every start)."""

    def create() -> None:
        for statement in SCHEMA_STATEMENTS:
            conn.execute(statement)

    in_transaction(conn, create)
