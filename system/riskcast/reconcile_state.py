"""ReconcileStateStore: what was reconciled up to which highwater and manifest revision, and a history.

WHY both highwater and revision: a main partition is reconciled once, after it is sealed; a late
partition keeps growing, so it must be reconciled again whenever its highwater or its manifest
revision grows. A value that SHRANK means the ledger lost records it once had (a lying fsync, bit
rot): reconcile runs again so the lost ids surface as extra ids, never silently.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from riskcast.ports import Clock, SqlRunner
from riskcast.reconcile_result import ReconcileResult
from riskcast.tables import in_transaction

HISTORY_LIMIT_MAX = 1_000


@dataclass(frozen=True, slots=True)
class ReconcileState:
    partition: str
    ledger_highwater: int
    manifest_revision: int
    status: str
    reason: str
    ledger_count: int
    replayed_count: int
    extra_count: int
    reconciled_at: str | None


@dataclass(frozen=True, slots=True)
class ReconcileHistoryEntry:
    id: int
    partition: str
    status: str
    reason: str
    ledger_highwater: int | None
    manifest_revision: int | None
    ran_at: str | None
    result: ReconcileResult


_STATE_COLUMNS = (
    "partition, ledger_highwater, manifest_revision, status, reason, ledger_count, replayed_count, "
    "extra_count, reconciled_at"
)


def _history_row(conn: sqlite3.Connection, result: ReconcileResult, highwater: int | None,
                 revision: int | None, ran_at: str | None) -> None:
    conn.execute(
        "INSERT INTO reconcile_history (partition, status, reason, ledger_highwater, manifest_revision, ran_at, "
        "result_json) VALUES (?,?,?,?,?,?,?)",
        (result.partition, result.status, result.reason, highwater, revision, ran_at, result.model_dump_json()),
    )


class ReconcileStateStore:
    def __init__(self, runner: SqlRunner, *, clock: Clock | None = None) -> None:
        self._runner = runner
        self._clock = clock

    def _now_iso(self) -> str | None:
        return None if self._clock is None else self._clock.now().isoformat()

    async def get_state(self, partition: str) -> ReconcileState | None:
        def select(conn: sqlite3.Connection) -> ReconcileState | None:
            row = conn.execute(
                f"SELECT {_STATE_COLUMNS} FROM reconcile_state WHERE partition = ?", (partition,)
            ).fetchone()
            return None if row is None else ReconcileState(*row)

        return await self._runner.run(select)

    async def needs_reconcile(self, partition: str, highwater: int, revision: int) -> tuple[bool, str]:
        """(needed, reason); reasons: never_reconciled, highwater_increased, manifest_revision_increased
        (joined by ',' when both), highwater_decreased, manifest_revision_decreased, up_to_date."""
        assert highwater >= 0 and revision >= 0, (highwater, revision)
        state = await self.get_state(partition)
        if state is None:
            return True, "never_reconciled"
        reasons = []
        if highwater < state.ledger_highwater:
            reasons.append("highwater_decreased")
        if revision < state.manifest_revision:
            reasons.append("manifest_revision_decreased")
        if highwater > state.ledger_highwater:
            reasons.append("highwater_increased")
        if revision > state.manifest_revision:
            reasons.append("manifest_revision_increased")
        if reasons:
            return True, ",".join(reasons)
        return False, "up_to_date"

    async def record_success(self, partition: str, highwater: int, revision: int, result: ReconcileResult) -> None:
        """Advance the state and append the history row, in one transaction."""
        assert result.partition == partition and result.status == "reconciled", result
        ran_at = self._now_iso()
        row = (partition, highwater, revision, result.status, result.reason, result.ledger_count,
               len(result.replayed_ids), len(result.extra_ids), ran_at)

        def upsert(conn: sqlite3.Connection) -> None:
            def work() -> None:
                conn.execute(
                    f"INSERT INTO reconcile_state ({_STATE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT(partition) DO UPDATE SET ledger_highwater=excluded.ledger_highwater, "
                    "manifest_revision=excluded.manifest_revision, status=excluded.status, "
                    "reason=excluded.reason, ledger_count=excluded.ledger_count, "
                    "replayed_count=excluded.replayed_count, extra_count=excluded.extra_count, "
                    "reconciled_at=excluded.reconciled_at",
                    row,
                )
                _history_row(conn, result, highwater, revision, ran_at)

            in_transaction(conn, work)

        await self._runner.run(upsert)

    async def record_attempt(self, partition: str, highwater: int | None, revision: int | None,
                             result: ReconcileResult) -> None:
        """Append a history row without advancing the state (skipped, incomplete, corrupt, up to date)."""
        assert result.partition == partition, result
        ran_at = self._now_iso()

        def insert(conn: sqlite3.Connection) -> None:
            in_transaction(conn, lambda: _history_row(conn, result, highwater, revision, ran_at))

        await self._runner.run(insert)

    async def history(self, limit: int = 100, partition: str | None = None) -> list[ReconcileHistoryEntry]:
        """Newest first, at most `limit` (1..1000) rows, optionally of one partition."""
        if not 1 <= limit <= HISTORY_LIMIT_MAX:
            raise ValueError(f"history limit must be within 1..{HISTORY_LIMIT_MAX}, got {limit}")

        def select(conn: sqlite3.Connection) -> list[ReconcileHistoryEntry]:
            where, params = ("WHERE partition = ?", (partition, limit)) if partition else ("", (limit,))
            rows = conn.execute(
                "SELECT id, partition, status, reason, ledger_highwater, manifest_revision, ran_at, result_json "
                f"FROM reconcile_history {where} ORDER BY id DESC LIMIT ?",
                params,
            ).fetchall()
            return [ReconcileHistoryEntry(*row[:7], ReconcileResult.model_validate_json(row[7])) for row in rows]

        return await self._runner.run(select)
