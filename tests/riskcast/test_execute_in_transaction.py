"""`execute_in_transaction` runs the statements `in_transaction` runs around one `conn.execute`.

The signal store's INSERT path uses the one-cursor helper; its SQL trace (BEGIN IMMEDIATE, the
statement, COMMIT, or ROLLBACK on an error) and the database it leaves are the general helper's.
"""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskcast.tables import execute_in_transaction, in_transaction, init_schema

INSERT = "INSERT INTO signals (signal_id, ack_id) VALUES (?, ?)"


def traced(rows, run_one) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """The SQL each row's call ran, the rows left, and the errors raised (NOT NULL, primary key)."""
    conn = sqlite3.connect(":memory:")
    init_schema(conn)
    statements: list[str] = []
    failures: list[str] = []
    conn.set_trace_callback(statements.append)
    for row in rows:
        try:
            run_one(conn, row)
        except sqlite3.Error as error:
            failures.append(type(error).__name__)
        assert not conn.in_transaction, "committed or rolled back before returning"
    conn.set_trace_callback(None)
    return statements, conn.execute("SELECT signal_id, ack_id FROM signals ORDER BY signal_id").fetchall(), failures


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", None])), max_size=6))
def test_the_one_cursor_path_runs_the_general_helpers_statements(rows):
    general = traced(rows, lambda conn, row: in_transaction(conn, lambda: conn.execute(INSERT, row)))
    assert traced(rows, lambda conn, row: execute_in_transaction(conn, INSERT, row)) == general


def test_it_refuses_to_start_inside_a_transaction():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    init_schema(conn)
    conn.execute("BEGIN")
    with pytest.raises(AssertionError):
        execute_in_transaction(conn, INSERT, ("a", "x"))
