"""Planted bugs of delivery: emitter, RiskCast store and ingest, reconcile, signal identity."""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import sqlite3

from omen import LedgerWriteError, SignalEvent
from omen.emitter import signal_emitter as emitter_module
from omen.emitter.result import EmitResult, EmitStatus
from riskcast import reconcile_job as job_module
from riskcast import reconcile_state as state_module
from riskcast import signal_store as store_module
from riskcast import store_group_commit as group_module
from riskcast import tables as tables_module
from scenarios.bugzoo.registry import PlantedBug, register

Emitter = emitter_module.SignalEmitter
Store = store_module.SignalStore
Job = job_module.ReconcileJob
StateStore = state_module.ReconcileStateStore
_original_reconcile_partition = Job.reconcile_partition
_original_needs_reconcile = StateStore.needs_reconcile


def _guessed_placement(event: SignalEvent) -> SignalEvent:
    """What a hot path that does not wait for the ledger puts in the body: the placement it expects."""
    return event.with_ledger_metadata(partition=event.main_partition, sequence=1, written_at=event.emitted_at)


# 4. push before the ledger write -------------------------------------------------------------
async def _emit_push_first(self, event):  # noqa: ANN001, ANN202
    pushed = await self._push(_guessed_placement(event), _guessed_placement(event).model_dump_json().encode())
    try:
        written = self._ledger.write(event)  # the bug: the ledger is written after the push
    except LedgerWriteError as error:
        return EmitResult(EmitStatus.FAILED, event.signal_id, None, None, None, 0, str(error))
    return dataclasses.replace(pushed, ledger_partition=written.ledger_partition,
                               ledger_sequence=written.ledger_sequence)


register(PlantedBug(
    "push_before_ledger",
    "the emitter pushes to RiskCast first and writes the ledger afterwards",
    "ledger-first", "ledger_first",
    ("calm",),
    lambda: [(Emitter, "emit", _emit_push_first)],
))


# 5. push even though the ledger write failed -------------------------------------------------
async def _emit_pushing_after_failure(self, event):  # noqa: ANN001, ANN202
    try:
        written = self._ledger.write(event)
    except LedgerWriteError:
        written = _guessed_placement(event)  # the bug: "deliver anyway, the ledger is best effort"
    return await self._push(written, written.model_dump_json().encode())


register(PlantedBug(
    "push_after_failed_write",
    "when the ledger write fails the emitter pushes anyway",
    "no push of a signal the ledger does not hold", "ledger_first",
    ("disk_faults",),
    lambda: [(Emitter, "emit", _emit_pushing_after_failure)],
))


# 6. dedupe by SELECT-then-INSERT without the primary key --------------------------------------
_SCHEMA_WITHOUT_KEY = tuple(
    statement.replace("signal_id TEXT PRIMARY KEY", "signal_id TEXT") for statement in tables_module.SCHEMA_STATEMENTS
)


async def _store_select_then_insert(self, event):  # noqa: ANN001, ANN202
    existing = await self.get_by_signal_id(event.signal_id)
    if existing is not None:
        raise store_module.DuplicateSignalError(event.signal_id, existing.ack_id)
    ack_id = self._ack_ids()
    row = (event.signal_id, ack_id, event.ledger_partition, event.ledger_sequence, event.trace_id,
           event.emitted_at.isoformat(), self._clock.now().isoformat(), event.model_dump_json())

    def insert(conn: sqlite3.Connection) -> str:
        tables_module.in_transaction(conn, lambda: conn.execute(
            "INSERT INTO signals VALUES (?,?,?,?,?,?,?,?)", row))
        return ack_id

    return await self._runner.run(insert)  # the bug: another request may have inserted in between


register(PlantedBug(
    "select_then_insert",
    "the store deduplicates with SELECT then INSERT, on a table without the primary key",
    "exactly one row and one 200 per signal_id", "exactly_once",
    ("concurrent_duplicates",),
    lambda: [(tables_module, "SCHEMA_STATEMENTS", _SCHEMA_WITHOUT_KEY), (Store, "store", _store_select_then_insert)],
))


# 7. 200 sent before the commit: a write-behind buffer -----------------------------------------
WRITE_BEHIND_ROWS_MAX = 16


async def _store_write_behind(self, event):  # noqa: ANN001, ANN202
    pending: dict = self.__dict__.setdefault("_write_behind", {})
    if event.signal_id in pending:
        raise store_module.DuplicateSignalError(event.signal_id, pending[event.signal_id][1])
    existing = await self.get_by_signal_id(event.signal_id)
    if existing is not None:
        raise store_module.DuplicateSignalError(event.signal_id, existing.ack_id)
    ack_id = self._ack_ids()
    pending[event.signal_id] = (event.signal_id, ack_id, event.ledger_partition, event.ledger_sequence,
                                event.trace_id, event.emitted_at.isoformat(), self._clock.now().isoformat(),
                                event.model_dump_json())
    if len(pending) >= WRITE_BEHIND_ROWS_MAX:
        rows = list(pending.values())
        pending.clear()

        def flush(conn: sqlite3.Connection) -> None:
            tables_module.in_transaction(conn, lambda: conn.executemany(
                "INSERT OR IGNORE INTO signals VALUES (?,?,?,?,?,?,?,?)", rows))

        await self._runner.run(flush)
    return ack_id  # the bug: acknowledged while the row may still sit in memory


register(PlantedBug(
    "ack_before_commit",
    "the store acknowledges from a write-behind buffer and commits in batches of 16 rows later",
    "persist before ack", "persist_before_ack",
    ("riskcast_crash", "calm"),
    lambda: [(Store, "store", _store_write_behind)],
))


# 17. a 409 that returns a new ack_id ------------------------------------------------------
def _insert_answering_new_ack(row):  # noqa: ANN001, ANN202
    def insert(conn: sqlite3.Connection) -> str:
        try:
            tables_module.in_transaction(conn, lambda: conn.execute(
                "INSERT INTO signals VALUES (?,?,?,?,?,?,?,?)", row))
        except sqlite3.IntegrityError:
            raise store_module.DuplicateSignalError(str(row[0]), str(row[1])) from None  # the bug: new ack_id
        return str(row[1])

    return insert


_original_insert_rows = group_module.insert_rows


def _insert_rows_answering_new_ack(conn, columns, rows):  # noqa: ANN001, ANN202
    outcomes = _original_insert_rows(conn, columns, rows)
    return [outcome if outcome.stored else group_module.BatchOutcome(False, str(row[1]))  # the bug: new ack_id
            for outcome, row in zip(outcomes, rows)]


register(PlantedBug(
    "conflict_with_new_ack_id",
    "a duplicate is answered 409 with the ack_id minted for the duplicate, not the original one "
    "(one commit per signal and group commit alike)",
    "every 409 carries the original ack_id", "exactly_once",
    ("concurrent_duplicates",),
    lambda: [(store_module, "_insert_signal", _insert_answering_new_ack),
             (group_module, "insert_rows", _insert_rows_answering_new_ack)],
))


# 21. group commit: the batch is answered before its transaction commits ---------------------
async def _commit_piggybacked(self, batch):  # noqa: ANN001, ANN202
    columns, rows = self._columns, [member.row for member in batch]

    def insert_leaving_open(conn: sqlite3.Connection):  # noqa: ANN202
        if conn.in_transaction:
            conn.execute("COMMIT")  # the previous batch's commit, piggybacked on this call
        conn.execute("BEGIN IMMEDIATE")
        return group_module.insert_rows(conn, columns, rows)  # the bug: left open until the next batch

    outcomes = await self._runner.run(insert_leaving_open)
    self.batches_committed += 1
    for member, outcome in zip(batch, outcomes):
        member.result = outcome  # answered while the transaction holding the row is still open


register(PlantedBug(
    "group_ack_before_commit",
    "RiskCast's group commit answers a batch once its inserts ran and leaves its COMMIT to the next "
    "batch's SQL call (a round trip saved per batch)",
    "persist before ack (a 200 only after its row's commit); the simulation first sees the reconciler "
    "meet the store's open transaction (recoverability), and a crash inside it loses acknowledged rows "
    "(persist_before_ack)",
    "recoverability",
    ("riskcast_crash",),
    lambda: [(group_module.StoreGroupCommit, "_commit", _commit_piggybacked)],
))


# 11. reconcile of an unsealed main partition ---------------------------------------------
class _EverythingSealed:
    def __init__(self, reader) -> None:  # noqa: ANN001
        self._reader = reader

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._reader, name)

    def get_partition_info(self, partition: str, **options):  # noqa: ANN003, ANN201
        return dataclasses.replace(self._reader.get_partition_info(partition, **options), is_sealed=True)


async def _reconcile_unsealed(self, partition, **options):  # noqa: ANN001, ANN003, ANN202
    reader = self.reader
    self.reader = _EverythingSealed(reader)  # the bug: the sealed check is skipped
    try:
        return await _original_reconcile_partition(self, partition, **options)
    finally:
        self.reader = reader


register(PlantedBug(
    "reconcile_unsealed_partition",
    "reconcile runs over main partitions that are still open for writes",
    "a main partition is reconciled only once sealed", "reconcile_discipline",
    ("hot_path_drops",),
    lambda: [(Job, "reconcile_partition", _reconcile_unsealed)],
))


# 12. a late partition's highwater increase ignored ----------------------------------------
async def _needs_reconcile_once(self, partition, highwater, revision):  # noqa: ANN001, ANN202
    if partition.endswith("-late") and await self.get_state(partition) is not None:
        return False, "up_to_date"  # the bug: a late partition is reconciled once, never again
    return await _original_needs_reconcile(self, partition, highwater, revision)


register(PlantedBug(
    "late_highwater_ignored",
    "a late partition that was reconciled once is never reconciled again, however much it grows",
    "a late partition is reconciled again when it grows", "reconcile_discipline",
    ("late_arrivals",),
    lambda: [(StateStore, "needs_reconcile", _needs_reconcile_once)],
))


# 13. reconcile state advanced although a replay failed ------------------------------------
async def _reconcile_advancing_anyway(self, partition, **options):  # noqa: ANN001, ANN003, ANN202
    result = await _original_reconcile_partition(self, partition, **options)
    if result.status == "incomplete" and result.failed_ids and result.highwater is not None:
        advanced = result.model_copy(update={"status": "reconciled"})
        await self.state.record_success(partition, result.highwater, result.revision or 0, advanced)  # the bug
    return result


register(PlantedBug(
    "state_advanced_despite_failure",
    "reconcile records the partition as reconciled even though some replays were not confirmed",
    "state advances only when every replay was confirmed", "reconcile_discipline",
    ("hot_path_drops",),
    lambda: [(Job, "reconcile_partition", _reconcile_advancing_anyway)],
))


# 14. a random, not derived, signal_id -----------------------------------------------------
_original_create = SignalEvent.__dict__["create"].__func__


def _random_id_patches():  # noqa: ANN202
    counter = itertools.count()  # fresh per planting: runs stay deterministic

    def create(cls, **kwargs):  # noqa: ANN001, ANN003, ANN202
        event = _original_create(cls, **kwargs)
        drawn = hashlib.sha256(f"random-{next(counter)}".encode()).hexdigest()[:24].upper()
        return event.model_copy(update={"signal_id": "OMEN-" + drawn})  # the bug: not derived

    return [(SignalEvent, "create", classmethod(create))]


register(PlantedBug(
    "random_signal_id",
    "signal_id is drawn at random per emission instead of derived from the event's inputs",
    "re-emitted signals keep their id; ids are derived (RiskCast's schema check refuses every such "
    "record, so the ledger holds signals that never arrive)",
    "exactly_once",
    ("calm",),
    _random_id_patches,
))


# the emitter's answer: a push it could not confirm is reported as a failed write ----------------
def _unconfirmed_push_reported_failed(written, attempts, error):  # noqa: ANN001, ANN202
    # the bug: "the push did not go through, so the emit failed": the record is durable and
    # reconcile will deliver it, but the caller is told nothing was written and emits it again
    return EmitResult(EmitStatus.FAILED, written.signal_id, None, None, None, 0, f"push failed: {error}")


register(PlantedBug(
    "unconfirmed_push_reported_failed",
    "the emitter reports a durable record whose push was not confirmed as FAILED (nothing written) "
    "instead of DEFERRED, so its caller emits it again",
    "every emit result tells its caller what happened", "reports_match_facts",
    ("hot_path_drops", "chaos"),
    lambda: [(emitter_module.SignalEmitter, "_deferred", staticmethod(_unconfirmed_push_reported_failed))],
))
