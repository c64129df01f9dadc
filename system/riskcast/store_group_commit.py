"""Group commit for the signal store: concurrent inserts share one transaction, so one fsync.

WHY: every 200 is a durable commit, and with synchronous=FULL each commit costs an fsync. Requests
that arrive while a commit is in flight wait for the next one and share it, as the ledger's group
commit does; with no concurrency a batch holds one row and nothing waits.

HOW (a leader, no extra task): the first caller to find no commit in flight becomes the leader; it
commits one batch of up to `rows_max` queued rows (its own first) and hands the lead to the first
row still queued, so no caller serves others for longer than one commit; everyone else awaits a
wake-up. Persist-before-ack is structural: a member's outcome is set only after the SQL call that
committed its row returned; if the commit fails, every member of the batch fails and none was
acknowledged. A duplicate inside a batch is answered by the row that won, in queue order.

The leader is an ordinary task of the caller, so the simulation runs the same code on its own
loop, deterministically (queue order is arrival order); a crash that cancels the leader fails the
rest of its batch ("abandoned", never acknowledged) and the lead passes on. In the real threaded
runner a cancelled leader's SQL call may still commit on the worker thread: its members are then
told "abandoned" for rows that are durable, and a retry gets the 409 with the original ack_id.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from riskcast.ports import SqlRunner
from riskcast.tables import in_transaction

PENDING_ROWS_MAX = 65_536  # rows queued for a commit; beyond it a caller gets a clear error, not a hang


class StoreOverloadedError(RuntimeError):
    """More rows are waiting for a commit than the store bounds its queue to."""


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What the committed batch said of one row: stored with its ack_id, or a duplicate of `ack_id`."""

    stored: bool
    ack_id: str


def insert_rows(conn: sqlite3.Connection, columns: str, rows: list[tuple[object, ...]]) -> list[BatchOutcome]:
    """Insert each row inside the caller's open transaction; a primary-key conflict yields the
    original row's ack_id (earlier rows of the same batch included), any other error raises."""
    assert conn.in_transaction, "rows are inserted inside the batch's transaction"
    placeholders = ",".join("?" * len(rows[0]))
    statement = f"INSERT INTO signals ({columns}) VALUES ({placeholders}) ON CONFLICT(signal_id) DO NOTHING"
    outcomes: list[BatchOutcome] = []
    for row in rows:
        if conn.execute(statement, row).rowcount == 1:
            outcomes.append(BatchOutcome(True, str(row[1])))
            continue
        original = conn.execute("SELECT ack_id FROM signals WHERE signal_id = ?", (row[0],)).fetchone()
        assert original is not None, f"insert of {row[0]} ignored yet no row holds it"
        outcomes.append(BatchOutcome(False, str(original[0])))
    return outcomes


def insert_batch(columns: str, rows: list[tuple[object, ...]]) -> Callable[[sqlite3.Connection], list[BatchOutcome]]:
    """One transaction for every row, committed before the SQL call returns. ON CONFLICT covers the
    primary key only, so any other constraint error rolls the whole batch back (failing every
    member) instead of being hidden."""

    def insert(conn: sqlite3.Connection) -> list[BatchOutcome]:
        return in_transaction(conn, lambda: insert_rows(conn, columns, rows))

    return insert


_LEAD = "lead"  # what a waiting member is woken with when it becomes the leader


@dataclass
class _Member:
    row: tuple[object, ...]
    wake: asyncio.Future = field(repr=False)  # resolved with _LEAD, or None once `result` is set
    result: BatchOutcome | BaseException | None = None


class StoreGroupCommit:
    def __init__(self, runner: SqlRunner, columns: str, *, rows_max: int) -> None:
        assert 2 <= rows_max <= PENDING_ROWS_MAX, rows_max
        self._runner = runner
        self._columns = columns
        self.rows_max = rows_max
        self._queue: list[_Member] = []
        self._leading = False
        self.batches_committed = 0  # how many commits served the rows so far (tests, diagnostics)

    async def submit(self, row: tuple[object, ...]) -> BatchOutcome:
        """Queue the row and return once the transaction holding it committed.

        The leader commits one batch (its own row is at the front of the queue) and hands the lead
        to the first row still queued: no caller serves others for longer than one commit."""
        if len(self._queue) >= PENDING_ROWS_MAX:
            raise StoreOverloadedError(f"{len(self._queue)} rows already wait for a commit; retry later")
        member = _Member(row, asyncio.get_running_loop().create_future())
        self._queue.append(member)
        if self._leading:
            try:
                woken = await member.wake
            except asyncio.CancelledError:
                self._abandon(member)
                raise
            if woken != _LEAD:
                return self._result_of(member)
        self._leading = True
        batch = self._queue[: self.rows_max]
        del self._queue[: self.rows_max]
        assert batch and batch[0] is member, "the leader's row leads its batch"
        try:
            await self._commit(batch)
        finally:
            for other in batch:  # a leader cancelled mid-commit: its batch was not committed by it
                if other.result is None:
                    other.result = RuntimeError("the commit serving this row was abandoned")
                self._wake(other, None)
            self._hand_over()
        return self._result_of(member)

    def _abandon(self, member: _Member) -> None:
        """A waiting caller was cancelled: drop its row if still queued; pass on a lead it was given."""
        if member in self._queue:
            self._queue.remove(member)
        if member.wake.done() and not member.wake.cancelled() and member.wake.result() == _LEAD:
            self._hand_over()

    def _hand_over(self) -> None:
        while self._queue and self._queue[0].wake.done():  # a cancelled waiter cannot lead
            self._queue.pop(0)
        if self._queue:
            self._wake(self._queue[0], _LEAD)
        else:
            self._leading = False

    @staticmethod
    def _wake(member: _Member, value: object) -> None:
        if not member.wake.done():
            member.wake.set_result(value)

    @staticmethod
    def _result_of(member: _Member) -> BatchOutcome:
        result = member.result
        assert result is not None, "a member woke without a result"
        if isinstance(result, BaseException):
            raise result
        return result

    async def _commit(self, batch: list[_Member]) -> None:
        """One SQL call for the batch; results are set only after it returned (after COMMIT)."""
        try:
            outcomes = await self._runner.run(insert_batch(self._columns, [m.row for m in batch]))
        except Exception as error:  # noqa: BLE001 - every member learns of it, none was acknowledged
            for member in batch:
                member.result = error
            return
        assert len(outcomes) == len(batch), (len(outcomes), len(batch))
        self.batches_committed += 1
        for member, outcome in zip(batch, outcomes):
            member.result = outcome
