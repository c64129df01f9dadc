"""`stored_signal_ids` through its memo answers what a fresh SELECT does: after inserts, upserts,
replaces, deletes, commits and rollbacks of the connection, reads inside a transaction, another
connection's commits to the same file, and callers that change the set they were handed."""
from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from riskcast.tables import init_schema
from scenarios.observers import riskcast_rows
from scenarios.observers.riskcast_rows import stored_signal_ids

IDS = ("A", "B", "C", "D")


def selected(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT signal_id FROM signals")}


def insert(conn: sqlite3.Connection, signal_id: str, how: str = "INSERT") -> None:
    columns = [row[1] for row in conn.execute("PRAGMA table_info(signals)")]
    values = [signal_id if name == "signal_id" else (f"{signal_id}-{name}" if name != "ledger_sequence" else 1)
              for name in columns]
    conn.execute(f"{how} INTO signals ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)


OPS = st.lists(st.tuples(st.sampled_from(["insert", "insert_or_ignore", "replace", "delete", "commit",
                                          "rollback", "read", "read_and_change", "other_conn"]),
                         st.sampled_from(IDS)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(ops=OPS)
def test_the_memo_answers_as_a_fresh_select(tmp_path_factory, ops: list[tuple[str, str]]) -> None:
    path = tmp_path_factory.mktemp("db") / "riskcast.db"
    conn, other = sqlite3.connect(path), sqlite3.connect(path)
    init_schema(conn)
    conn.commit()
    for kind, signal_id in ops:
        try:
            if kind == "insert":
                insert(conn, signal_id)
            elif kind == "insert_or_ignore":
                insert(conn, signal_id, "INSERT OR IGNORE")
            elif kind == "replace":
                insert(conn, signal_id, "INSERT OR REPLACE")
            elif kind == "delete":
                conn.execute("DELETE FROM signals WHERE signal_id = ?", (signal_id,))
            elif kind == "commit":
                conn.commit()
            elif kind == "rollback":
                conn.rollback()
            elif kind == "other_conn" and not conn.in_transaction:  # the file is not locked by `conn`
                insert(other, signal_id + "x", "INSERT OR IGNORE")
                other.commit()
        except sqlite3.IntegrityError:
            pass
        got = stored_signal_ids(conn)
        assert got == selected(conn), (kind, signal_id)
        if kind == "read_and_change":
            got.add("changed by a caller")
            got.discard(signal_id)
            assert stored_signal_ids(conn) == selected(conn)
    conn.close()
    other.close()


def test_a_read_with_nothing_written_since_is_not_selected_again() -> None:
    conn = sqlite3.connect(":memory:")
    init_schema(conn)
    insert(conn, "A")
    conn.commit()
    assert stored_signal_ids(conn) == {"A"}
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    assert stored_signal_ids(conn) == {"A"}
    assert not any("FROM signals" in statement for statement in statements), statements
    insert(conn, "B")
    conn.commit()
    assert stored_signal_ids(conn) == {"A", "B"}
    assert any("FROM signals" in statement for statement in statements)


def test_two_connections_in_turn_each_get_their_own_rows() -> None:
    first, second = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    for conn, signal_id in ((first, "A"), (second, "B")):
        init_schema(conn)
        insert(conn, signal_id)
        conn.commit()
    # the same total_changes and data_version on both: the connection itself tells them apart
    assert (first.total_changes, second.total_changes) == (first.total_changes, first.total_changes)
    assert [stored_signal_ids(conn) for conn in (first, second, first)] == [{"A"}, {"B"}, {"A"}]
    assert riskcast_rows._STORED_IDS._conn is first  # one connection kept: the memo's bound
