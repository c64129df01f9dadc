"""RiskCast's SignalStore: one row per signal_id, the database is the dedupe authority.

WHY INSERT-then-IntegrityError (never select-then-insert): the PRIMARY KEY decides atomically
which of several concurrent deliveries of one signal wins; a SELECT first would let two of them
both see "absent" and both answer 200. The losing INSERT's transaction is rolled back and the
winner's ack_id read back in the same SQL call, so a 409 always carries the ORIGINAL ack_id.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from omen import SignalEvent
from riskcast.ports import AckIdSource, Clock, SqlRunner
from riskcast.store_group_commit import StoreGroupCommit
from riskcast.tables import execute_in_transaction
from riskcast.timestamp_text import emitted_at_text, iso_text


# Partitions are days (and their late twins): a bound far above any retention.
PARTITIONS_LISTED_MAX = 1_000_000


class DuplicateSignalError(Exception):
    """The signal_id is already stored; `ack_id` is the one given when it was first accepted."""

    def __init__(self, signal_id: str, ack_id: str) -> None:
        super().__init__(f"signal {signal_id} already stored with ack_id {ack_id}")
        self.signal_id = signal_id
        self.ack_id = ack_id


@dataclass(frozen=True, slots=True)
class StoredSignal:
    signal_id: str
    ack_id: str
    ledger_partition: str | None
    ledger_sequence: int | None
    trace_id: str | None
    emitted_at: str | None
    received_at: str | None
    event_json: str | None

    @property
    def event(self) -> SignalEvent:
        assert self.event_json is not None, self.signal_id
        return SignalEvent.model_validate_json(self.event_json)


_FIRST_COLUMN = itemgetter(0)
_ROW_FIELDS = itemgetter("signal_id", "ledger_partition", "ledger_sequence", "trace_id", "emitted_at")
_COLUMNS = (
    "signal_id, ack_id, ledger_partition, ledger_sequence, trace_id, emitted_at, received_at, event_json"
)


_INSERT_SIGNAL = f"INSERT INTO signals ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)"


def _insert_signal(row: tuple[object, ...]) -> Callable[[sqlite3.Connection], str]:
    signal_id = row[0]

    def insert(conn: sqlite3.Connection) -> str:
        try:
            execute_in_transaction(conn, _INSERT_SIGNAL, row)
        except sqlite3.IntegrityError:
            original = conn.execute("SELECT ack_id FROM signals WHERE signal_id = ?", (signal_id,)).fetchone()
            if original is None:
                raise  # not the primary key: a real schema violation, let it surface
            raise DuplicateSignalError(str(signal_id), original[0]) from None
        return str(row[1])

    return insert


COMMIT_ROWS_MAX = 10_000


class SignalStore:
    def __init__(self, runner: SqlRunner, *, clock: Clock, ack_ids: AckIdSource, commit_rows_max: int = 1) -> None:
        """`commit_rows_max` 1: one transaction (one fsync) per signal; N > 1: concurrent stores share
        a transaction of up to N rows (group commit, `riskcast.store_group_commit`)."""
        assert 1 <= commit_rows_max <= COMMIT_ROWS_MAX, commit_rows_max
        self._runner = runner
        self._clock = clock
        self._ack_ids = ack_ids
        self.group = None if commit_rows_max == 1 else StoreGroupCommit(runner, _COLUMNS, rows_max=commit_rows_max)

    async def store(self, event: SignalEvent) -> str:
        """Commit the signal and return its new ack_id; raise DuplicateSignalError if it exists.

        Returns only after the row is committed (persist-before-ack is structural: callers
        answer 200 after this await, and the insert and its commit happen in one SQL call).
        """
        ack_id = self._ack_ids()
        assert isinstance(ack_id, str) and ack_id, "the ack id source must return a non-empty str"
        received_at = self._clock.now()
        assert received_at.tzinfo is not None, "the clock must return timezone-aware UTC"
        # model_dump_json(); ingest memoized the body itself when it is that JSON (remember_json_of_source)
        event_json = event.json_bytes().decode()
        signal_id, partition, sequence, trace_id, emitted_at = _ROW_FIELDS(event.__dict__)  # one C call, not five reads
        row = (
            signal_id,
            ack_id,
            partition,
            sequence,
            trace_id,
            emitted_at_text(emitted_at, event_json),  # isoformat()'s text
            iso_text(received_at),
            event_json,
        )
        if self.group is None:
            return await self._runner.run(_insert_signal(row))
        outcome = await self.group.submit(row)
        if not outcome.stored:
            raise DuplicateSignalError(signal_id, outcome.ack_id)
        return outcome.ack_id

    async def get_by_signal_id(self, signal_id: str) -> StoredSignal | None:
        def select(conn: sqlite3.Connection) -> StoredSignal | None:
            row = conn.execute(f"SELECT {_COLUMNS} FROM signals WHERE signal_id = ?", (signal_id,)).fetchone()
            return None if row is None else StoredSignal(*row)

        return await self._runner.run(select)

    async def list_processed_ids(self, partition: str) -> set[str]:
        """Ids of stored signals whose ledger_partition is `partition`."""

        def select(conn: sqlite3.Connection) -> set[str]:
            rows = conn.execute("SELECT signal_id FROM signals WHERE ledger_partition = ?", (partition,))
            return set(map(_FIRST_COLUMN, rows))  # in C: reconcile asks at every pass, a whole day's ids

        return await self._runner.run(select)

    async def list_partitions(self) -> list[str]:
        """Every ledger partition some stored signal came from, sorted.

        WHY one index seek per partition, not `SELECT DISTINCT`: reconcile asks at every pass, and
        DISTINCT walks every row's index entry, so a long day cost each pass more than the last. The
        next partition after the last one found is the index's next key (`MIN(...) WHERE > ?`), the
        same answer in as many seeks as there are partitions (a handful of days)."""

        def select(conn: sqlite3.Connection) -> list[str]:
            found: list[str] = []
            row = conn.execute("SELECT MIN(ledger_partition) FROM signals WHERE ledger_partition IS NOT NULL").fetchone()
            for _ in range(PARTITIONS_LISTED_MAX):
                if row[0] is None:
                    return found
                found.append(row[0])
                row = conn.execute("SELECT MIN(ledger_partition) FROM signals WHERE ledger_partition > ?",
                                   (row[0],)).fetchone()
            raise AssertionError(f"more than {PARTITIONS_LISTED_MAX} ledger partitions hold stored signals")

        return await self._runner.run(select)

    async def count(self) -> int:
        def select(conn: sqlite3.Connection) -> int:
            return int(conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0])

        return await self._runner.run(select)

    async def all_signal_ids(self) -> list[str]:
        """Every stored signal_id, sorted (what the simulation's checkers read)."""

        def select(conn: sqlite3.Connection) -> list[str]:
            return [row[0] for row in conn.execute("SELECT signal_id FROM signals ORDER BY signal_id")]

        return await self._runner.run(select)
