"""ReconcileJob: make RiskCast hold exactly what the OMEN ledger holds, partition by partition.

WHY this order of reads: partition info (highwater, revision) first, then the ids RiskCast holds,
then the ledger records. Under ledger-first every stored signal was durable in the ledger before
it was ingested, so a ledger read that comes after the store read sees all of them: an id in the
store but not in the ledger is then truly "extra" (critical: the ledger lost something), never a
race. And the state recorded is the highwater read BEFORE the records, so a record appended during
the run makes the next run see the highwater grow.

The state advances only when every missing id was confirmed (200 or 409); otherwise the next run
tries again. Corruption and read errors are reported in the result, never raised out of the job.

A damaged partition is not given up on: the reader's salvage mode yields its intact records, which
are delivered like any others, and the exact loss (segment, byte range, sequence range) goes in the
result (`lost`); the ids RiskCast holds that salvage did not find are the extra ids, named one by
one. The result stays "corrupt" and the state never advances, so every pass reports it again.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar


from omen import LedgerCorruptionError
from riskcast.ingest import LATE_SUFFIX
from riskcast.partition_names import require_partition_name
from riskcast.ports import LedgerReaderLike, Transport
from riskcast.reconcile_result import LostRange, ReconcileResult
from riskcast.reconcile_state import ReconcileStateStore
from riskcast.signal_store import SignalStore

log = logging.getLogger(__name__)

LEDGER_RECORDS_PER_PARTITION_MAX = 10_000_000
CONFIRMED_STATUSES = (200, 409)
T = TypeVar("T")
BlockingCall = Callable[[Callable[[], T]], Awaitable[T]]


async def call_inline(read: Callable[[], T]) -> T:
    """The simulation's way to run a ledger read: on the caller's task, deterministically."""
    return read()


class ReconcileJob:
    def __init__(
        self,
        reader: LedgerReaderLike,
        store: SignalStore,
        state: ReconcileStateStore,
        transport: Transport,
        ingest_url: str,
        *,
        replay_timeout_s: float = 2.0,
        max_replays_per_run: int = 10_000,
        run_blocking: BlockingCall = call_inline,
    ) -> None:
        """`run_blocking` runs each ledger read (sync file I/O): the served app passes one that uses a
        worker thread, so a long read never blocks the event loop that answers ingest."""
        if replay_timeout_s <= 0 or max_replays_per_run < 1:
            raise ValueError(
                f"replay_timeout_s ({replay_timeout_s}) must be > 0 and max_replays_per_run "
                f"({max_replays_per_run}) >= 1"
            )
        self.reader = reader
        self.store = store
        self.state = state
        self.transport = transport
        self.ingest_url = ingest_url
        self.replay_timeout_s = replay_timeout_s
        self.max_replays_per_run = max_replays_per_run
        self.run_blocking = run_blocking

    async def reconcile_partition(self, partition: str, *, scrub: bool = False) -> ReconcileResult:
        """Reconcile one partition if its highwater or manifest revision moved since the last success.

        `scrub=True` reads it even when nothing moved: a sealed, reconciled partition is otherwise
        never read again, so rot at rest (or records a lying disk lost) would go unreported. It also
        reads an open day whole: between scrubs the reader reads only what changed there (its new
        and active segments, see `LedgerReader.get_partition_info`), so damage to a closed segment
        of the open day is reported at the next scrub.
        """
        require_partition_name(partition)  # a ValueError: the caller named no partition
        try:
            info = await self.run_blocking(lambda: self.reader.get_partition_info(partition, reread_closed=scrub))
        except LedgerCorruptionError as error:
            return await self._reconcile_salvaged(partition, error, None, None)
        except FileNotFoundError:
            return await self.reconcile_missing_partition(partition)
        except OSError as error:
            return await self._report(partition, "incomplete", f"ledger_read_error: {error}", None, None)
        highwater, revision = int(info.highwater_sequence), int(info.manifest_revision)

        if not info.is_late and not info.is_sealed:
            return await self._report(partition, "skipped", "main_partition_not_sealed", highwater, revision)
        needed, reason = await self.state.needs_reconcile(partition, highwater, revision)
        if not needed and not scrub:
            return ReconcileResult(partition=partition, status="up_to_date", reason=reason,
                                   highwater=highwater, revision=revision)
        if not needed:
            reason = "scrub"

        processed_ids = await self.store.list_processed_ids(partition)
        try:
            ledger = await self.run_blocking(lambda: self._read_ledger(partition))
        except LedgerCorruptionError as error:
            return await self._reconcile_salvaged(partition, error, highwater, revision)
        except OSError as error:
            return await self._report(partition, "incomplete", f"ledger_read_error: {error}", highwater, revision)

        missing = [signal_id for signal_id in ledger if signal_id not in processed_ids]  # ledger order
        try:
            for signal_id in missing[: self.max_replays_per_run]:
                ledger[signal_id].record  # full validation of what is replayed, before any is
        except LedgerCorruptionError as error:
            return await self._reconcile_salvaged(partition, error, highwater, revision)
        extra_ids = sorted(processed_ids.difference(ledger))
        if extra_ids:
            log.critical(
                "reconcile %s: %d signal(s) in RiskCast are not in the ledger (data lost from the ledger?): %s",
                partition, len(extra_ids), extra_ids,
            )
        replayed, failed = await self._replay(ledger, missing[: self.max_replays_per_run])
        over_limit = len(missing) > self.max_replays_per_run
        result = ReconcileResult(
            partition=partition,
            status="incomplete" if failed or over_limit else "reconciled",
            reason=("replay_failed" if failed else "replay_limit_reached") if failed or over_limit else reason,
            ledger_count=len(ledger),
            missing_ids=sorted(missing),
            replayed_ids=sorted(replayed),
            failed_ids=sorted(failed),
            extra_ids=extra_ids,
            highwater=highwater,
            revision=revision,
        )
        if result.status == "reconciled":
            await self.state.record_success(partition, highwater, revision, result)
        else:
            log.warning("reconcile %s incomplete (%s): %d failed", partition, result.reason, len(failed))
            await self.state.record_attempt(partition, highwater, revision, result)
        return result

    def _read_ledger(self, partition: str) -> dict[str, Any]:
        """signal_id -> its first record, in ledger order (a re-emitted signal may appear twice).

        Read through `scan_partition`: every CRC and the sequence order are checked, but a record is
        fully validated only if it is replayed (most are already stored)."""
        ledger: dict[str, Any] = {}
        for count, record in enumerate(self.reader.scan_partition(partition), start=1):
            assert count <= LEDGER_RECORDS_PER_PARTITION_MAX, f"partition {partition} exceeds the record limit"
            ledger.setdefault(record.signal_id, record)
        return ledger

    async def _reconcile_salvaged(self, partition: str, error: LedgerCorruptionError, highwater: int | None,
                                  revision: int | None) -> ReconcileResult:
        """The strict read found damage: deliver what salvage finds intact, report exactly what is lost."""
        try:
            salvage = await self.run_blocking(lambda: self.reader.salvage_partition(partition))
            processed_ids = await self.store.list_processed_ids(partition)
        except (LedgerCorruptionError, OSError) as salvage_error:
            return await self._report(partition, "corrupt", f"ledger_corrupt: {error}; salvage failed: {salvage_error}",
                                      highwater, revision)
        if salvage.manifest is not None:
            highwater, revision = salvage.manifest.highwater_sequence, salvage.manifest.revision
        ledger: dict[str, Any] = {}
        for record in salvage.records:
            ledger.setdefault(record.signal_id, record)
        missing = [signal_id for signal_id in ledger if signal_id not in processed_ids]  # ledger order
        # the discipline of a healthy partition holds here too: a main partition is replayed only once
        # sealed (a damaged manifest leaves that unknown, so nothing is replayed)
        sealed = salvage.manifest is not None and salvage.manifest.sealed
        replayable = partition.endswith(LATE_SUFFIX) or sealed
        extra_ids = sorted(processed_ids.difference(ledger))
        lost = [
            LostRange(segment=loss.segment, start_byte=loss.start_byte, end_byte=loss.end_byte,
                      sequence_first=loss.sequence_first, sequence_last=loss.sequence_last, reason=loss.reason)
            for loss in salvage.losses
        ]
        log.critical(
            "reconcile %s: ledger damaged (%s); salvaged %d records, %d damaged range(s) %s; %d signal(s) in "
            "RiskCast are not among the intact records: %s",
            partition, error, len(ledger), len(lost), [item.model_dump() for item in lost], len(extra_ids), extra_ids,
        )
        replayed, failed = await self._replay(ledger, missing[: self.max_replays_per_run] if replayable else [])
        manifest_note = f"; manifest unreadable: {salvage.manifest_error}" if salvage.manifest_error else ""
        if not replayable:
            manifest_note += "; main partition not sealed: nothing replayed"
        result = ReconcileResult(
            partition=partition,
            status="corrupt",
            reason=f"ledger_corrupt: {error}; salvaged {len(ledger)} intact record(s), {len(lost)} damaged "
                   f"range(s){manifest_note}",
            ledger_count=len(ledger),
            missing_ids=sorted(missing) if replayable else [],
            replayed_ids=sorted(replayed),
            failed_ids=sorted(failed),
            extra_ids=extra_ids,
            lost=lost,
            highwater=highwater,
            revision=revision,
        )
        await self.state.record_attempt(partition, highwater, revision, result)
        return result

    async def _replay(self, ledger: dict[str, Any], ids: list[str]) -> tuple[list[str], list[str]]:
        """POST each record's event to the ingest URL, one at a time (bounded by the caller's slice).

        A record that fails its full validation here is not replayed: it counts as failed (and the
        partition is reported corrupt by the next strict read)."""
        replayed: list[str] = []
        failed: list[str] = []
        for signal_id in ids:
            try:
                body = ledger[signal_id].record.event.dump_json_bytes()
            except LedgerCorruptionError as error:
                log.critical("reconcile replay of %s refused: %s", signal_id, error)
                failed.append(signal_id)
                continue
            try:
                status, _ = await self.transport.post(self.ingest_url, body, self.replay_timeout_s)
            except (TimeoutError, ConnectionError) as error:
                log.warning("reconcile replay of %s not confirmed: %s: %s", signal_id, type(error).__name__, error)
                failed.append(signal_id)
                continue
            if status in CONFIRMED_STATUSES:
                replayed.append(signal_id)
            else:
                log.warning("reconcile replay of %s answered HTTP %d", signal_id, status)
                failed.append(signal_id)
        return replayed, failed

    async def reconcile_missing_partition(self, partition: str) -> ReconcileResult:
        """The ledger has no such partition. If RiskCast holds signals of it, the ledger lost them
        (ledger-first forbids the other explanation): every one is an extra id, reported as critical."""
        processed = sorted(await self.store.list_processed_ids(partition))
        if not processed:
            return await self._report(partition, "skipped", "partition_not_found", None, None)
        log.critical(
            "reconcile %s: the partition is gone from the ledger but RiskCast holds %d of its signals: %s",
            partition, len(processed), processed,
        )
        result = ReconcileResult(partition=partition, status="corrupt", reason="partition_missing_from_ledger",
                                 extra_ids=processed)
        await self.state.record_attempt(partition, None, None, result)
        return result

    async def _report(self, partition: str, status: str, reason: str, highwater: int | None,
                      revision: int | None) -> ReconcileResult:
        result = ReconcileResult(partition=partition, status=status, reason=reason,  # type: ignore[arg-type]
                                 highwater=highwater, revision=revision)
        if status == "corrupt":
            log.critical("reconcile %s: %s", partition, reason)
        await self.state.record_attempt(partition, highwater, revision, result)
        return result


async def run_reconcile_job(job: ReconcileJob, *, scrub: bool = False) -> list[ReconcileResult]:
    """Reconcile every partition of the ledger, and every partition RiskCast holds signals of (one the
    ledger lost must be reported, not skipped silently), in sorted order; one result per partition.

    `scrub=True` re-reads every partition, even those up to date (see `reconcile_partition`); run it
    now and then, not on every pass: it reads the whole ledger."""
    try:
        partitions = set(await job.run_blocking(job.reader.list_partitions))
    except OSError as error:
        log.error("reconcile: cannot list ledger partitions: %s", error)
        return []
    stored = set(await job.store.list_partitions())
    results = []
    for partition in sorted(partitions | stored):
        if partition in partitions:
            results.append(await (job.reconcile_partition(partition, scrub=True) if scrub
                                  else job.reconcile_partition(partition)))
        else:
            results.append(await job.reconcile_missing_partition(partition))
    return results
