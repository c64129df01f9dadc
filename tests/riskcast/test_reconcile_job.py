"""ReconcileJob: replay what the ledger has and RiskCast lacks; report what RiskCast has and the ledger lacks."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from collections.abc import Iterator

from omen import LedgerCorruptionError, LedgerRecord, PartitionInfo
from omen.ledger import Manifest, SalvageLoss, SalvageResult
from omen.ledger.record_parse import scanned_record_of
from riskcast import (
    IngestHandler,
    IngestHandlerTransport,
    InlineSqlRunner,
    ReconcileJob,
    ReconcileStateStore,
    SignalStore,
    run_reconcile_job,
)

URL = "http://riskcast/api/v1/signals/ingest"


class FakeReader:
    """partition -> (sealed, records, manifest revision); `corrupt` partitions raise on read."""

    def __init__(self) -> None:
        self.partitions: dict[str, tuple[bool, list[LedgerRecord], int]] = {}
        self.corrupt: set[str] = set()
        self.rereads_asked: list[bool] = []  # `reread_closed` of each get_partition_info, in order

    def put(self, partition: str, events, *, sealed: bool, revision: int = 1) -> None:
        self.partitions[partition] = (sealed, [LedgerRecord(event=e) for e in events], revision)

    def list_partitions(self) -> list[str]:
        return list(reversed(sorted(self.partitions)))  # unsorted on purpose: the job must sort

    def read_partition(self, partition: str) -> Iterator[LedgerRecord]:
        records = self.partitions[partition][1]
        for index, record in enumerate(records):
            if partition in self.corrupt and index == 1:
                raise LedgerCorruptionError(partition, "segment-000001.log", 123, "crc mismatch")
            yield record

    def scan_partition(self, partition: str):
        for record in self.read_partition(partition):
            yield scanned_record_of(record)

    def salvage_partition(self, partition: str) -> SalvageResult:
        """A corrupt partition loses its second record, as a rotten frame would."""
        records = self.partitions[partition][1]
        damaged = partition in self.corrupt and len(records) > 1
        kept = [r for index, r in enumerate(records) if not (damaged and index == 1)]
        losses = (SalvageLoss(partition, "segment-000001.log", 123, 456, records[1].sequence, records[1].sequence,
                              "frame fails its checks"),) if damaged else ()
        sealed, _, revision = self.partitions[partition]
        manifest = Manifest(partition=partition, is_late=partition.endswith("-late"), sealed=sealed, revision=revision,
                            highwater_sequence=max((r.sequence for r in records), default=0), record_count=0,
                            segments=(), updated_at=datetime(2024, 3, 2, tzinfo=timezone.utc))
        return SalvageResult(partition, tuple(scanned_record_of(r) for r in kept), losses, 0, manifest, None)

    def get_partition_info(self, partition: str, *, reread_closed: bool = True) -> PartitionInfo:
        self.rereads_asked.append(reread_closed)
        sealed, records, revision = self.partitions[partition]
        return PartitionInfo(
            partition=partition, is_late=partition.endswith("-late"), is_sealed=sealed,
            highwater_sequence=max((r.sequence for r in records), default=0), manifest_revision=revision,
            record_count=len(records), segments=("segment-000001.log",),
        )


class FlakyTransport:
    """Delegates to an inner transport, except for the signal ids told to fail."""

    def __init__(self, inner, failing: set[str]) -> None:
        self.inner = inner
        self.failing = failing
        self.posted: list[str] = []

    async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        signal_id = LedgerRecord.model_validate_json(b'{"event":' + body + b"}").event.signal_id
        self.posted.append(signal_id)
        if signal_id in self.failing:
            raise TimeoutError("no answer")
        return await self.inner.post(url, body, timeout_s)


def world(clock, ack_ids, failing: set[str] | None = None, **job_limits):
    runner = InlineSqlRunner.in_memory()
    store = SignalStore(runner, clock=clock, ack_ids=ack_ids)
    state = ReconcileStateStore(runner, clock=clock)
    transport = FlakyTransport(IngestHandlerTransport(IngestHandler(store)), failing or set())
    reader = FakeReader()
    job = ReconcileJob(reader, store, state, transport, URL, **job_limits)
    return job, reader, store, state, transport


def test_a_main_partition_that_is_not_sealed_is_skipped(clock, ack_ids, make_signal) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    reader.put("2024-03-01", [make_signal(1)], sealed=False)

    async def scenario():
        return await job.reconcile_partition("2024-03-01"), await state.get_state("2024-03-01"), await store.count()

    result, current, count = asyncio.run(scenario())
    assert (result.status, result.reason) == ("skipped", "main_partition_not_sealed")
    assert transport.posted == [] and count == 0 and current is None


def test_missing_ids_are_replayed_and_the_state_advances(clock, ack_ids, make_signal) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    events = [make_signal(n) for n in (1, 2, 3)]
    reader.put("2024-03-01", events, sealed=True)

    async def scenario():
        await store.store(events[1])  # delivered on the hot path
        first = await job.reconcile_partition("2024-03-01")
        again = await job.reconcile_partition("2024-03-01")
        return first, again, await state.get_state("2024-03-01"), await store.all_signal_ids()

    first, again, current, stored = asyncio.run(scenario())
    expected_missing = sorted([events[0].signal_id, events[2].signal_id])
    assert (first.status, first.reason) == ("reconciled", "never_reconciled")
    assert first.missing_ids == expected_missing and first.replayed_ids == expected_missing
    assert first.ledger_count == 3 and first.extra_ids == [] and first.failed_ids == []
    assert stored == sorted(e.signal_id for e in events)
    assert current.ledger_highwater == 3
    assert (again.status, again.reason) == ("up_to_date", "up_to_date")
    assert sorted(transport.posted) == expected_missing, "nothing is replayed twice"


def test_extra_ids_in_riskcast_are_reported_as_critical_in_the_result_and_the_log(
    clock, ack_ids, make_signal, caplog
) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    reader.put("2024-03-01", [make_signal(1)], sealed=True)
    ghost = make_signal(9)

    async def scenario():
        await store.store(make_signal(1))
        await store.store(ghost)
        return await job.reconcile_partition("2024-03-01")

    with caplog.at_level(logging.CRITICAL, logger="riskcast.reconcile_job"):
        result = asyncio.run(scenario())
    assert result.extra_ids == [ghost.signal_id] and result.critical
    assert any(r.levelno == logging.CRITICAL and ghost.signal_id in r.getMessage() for r in caplog.records)


def test_a_late_partition_is_reconciled_again_after_its_highwater_grows(clock, ack_ids, make_signal) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    late = "2024-03-01-late"
    first_batch = [make_signal(n, partition=late, sequence=n) for n in (1, 2)]
    reader.put(late, first_batch, sealed=False, revision=1)

    async def scenario():
        first = await job.reconcile_partition(late)
        unchanged = await job.reconcile_partition(late)
        grown = first_batch + [make_signal(3, partition=late, sequence=3)]
        reader.put(late, grown, sealed=False, revision=2)
        second = await job.reconcile_partition(late)
        return first, unchanged, second, await store.count(), await state.get_state(late)

    first, unchanged, second, count, current = asyncio.run(scenario())
    assert first.status == "reconciled" and len(first.replayed_ids) == 2
    assert unchanged.status == "up_to_date"
    assert second.status == "reconciled"
    assert second.reason == "highwater_increased,manifest_revision_increased"
    assert second.replayed_ids == [make_signal(3).signal_id]
    assert count == 3 and (current.ledger_highwater, current.manifest_revision) == (3, 2)


def test_the_state_does_not_advance_when_a_replay_fails(clock, ack_ids, make_signal) -> None:
    events = [make_signal(n) for n in (1, 2)]
    job, reader, store, state, transport = world(clock, ack_ids, failing={events[1].signal_id})
    reader.put("2024-03-01", events, sealed=True)

    async def scenario():
        failed = await job.reconcile_partition("2024-03-01")
        after_failure = await state.get_state("2024-03-01")
        transport.failing.clear()
        retried = await job.reconcile_partition("2024-03-01")
        return failed, after_failure, retried, await store.count()

    failed, after_failure, retried, count = asyncio.run(scenario())
    assert (failed.status, failed.reason) == ("incomplete", "replay_failed")
    assert failed.failed_ids == [events[1].signal_id] and failed.replayed_ids == [events[0].signal_id]
    assert after_failure is None
    assert retried.status == "reconciled" and retried.replayed_ids == [events[1].signal_id]
    assert count == 2


def test_a_409_on_replay_counts_as_confirmed(clock, ack_ids, make_signal) -> None:
    """A signal stored under another partition (re-emitted after seal) answers 409: that is delivery."""
    job, reader, store, state, transport = world(clock, ack_ids)
    late = "2024-03-01-late"
    reader.put(late, [make_signal(1, partition=late, sequence=1)], sealed=False)

    async def scenario():
        await store.store(make_signal(1, partition="2024-03-01"))
        return await job.reconcile_partition(late)

    result = asyncio.run(scenario())
    assert result.status == "reconciled" and result.replayed_ids == [make_signal(1).signal_id]


def test_a_corrupt_partition_is_reported_not_raised_and_the_state_stays(clock, ack_ids, make_signal) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    reader.put("2024-03-01", [make_signal(1), make_signal(2)], sealed=True)
    reader.corrupt.add("2024-03-01")

    async def scenario():
        return await job.reconcile_partition("2024-03-01"), await state.get_state("2024-03-01"), await state.history(5)

    result, current, history = asyncio.run(scenario())
    assert result.status == "corrupt" and "segment-000001.log" in result.reason
    assert current is None and history[0].status == "corrupt"


def test_a_damaged_partition_still_delivers_its_intact_records_and_reports_only_the_lost_ones(
    clock, ack_ids, make_signal
) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    events = [make_signal(n) for n in (1, 2, 3)]
    reader.put("2024-03-01", events, sealed=True)
    reader.corrupt.add("2024-03-01")  # the second record's frame is damaged

    async def scenario():
        await store.store(events[1].model_copy())  # RiskCast got the lost one over the hot path
        result = await job.reconcile_partition("2024-03-01")
        return result, await store.list_processed_ids("2024-03-01")

    result, stored = asyncio.run(scenario())
    assert result.status == "corrupt"
    assert result.replayed_ids == sorted([events[0].signal_id, events[2].signal_id])  # the intact ones, delivered
    assert stored == {e.signal_id for e in events}
    assert result.extra_ids == [events[1].signal_id]  # held by RiskCast, gone from the ledger: named
    (lost,) = result.lost
    assert (lost.segment, lost.start_byte, lost.end_byte, lost.sequence_first, lost.sequence_last) == (
        "segment-000001.log", 123, 456, events[1].ledger_sequence, events[1].ledger_sequence)


def test_replays_beyond_the_per_run_limit_leave_the_partition_incomplete(clock, ack_ids, make_signal) -> None:
    job, reader, store, state, transport = world(clock, ack_ids, max_replays_per_run=2)
    reader.put("2024-03-01", [make_signal(n) for n in (1, 2, 3)], sealed=True)

    async def scenario():
        first = await job.reconcile_partition("2024-03-01")
        second = await job.reconcile_partition("2024-03-01")
        return first, second, await store.count()

    first, second, count = asyncio.run(scenario())
    assert (first.status, first.reason, len(first.replayed_ids)) == ("incomplete", "replay_limit_reached", 2)
    assert second.status == "reconciled" and len(second.replayed_ids) == 1 and count == 3


def test_the_job_covers_every_partition_in_sorted_order(clock, ack_ids, make_signal) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    reader.put("2024-03-01", [make_signal(1)], sealed=True)
    reader.put("2024-03-01-late", [make_signal(2, partition="2024-03-01-late")], sealed=False)
    reader.put("2024-03-02", [make_signal(3, partition="2024-03-02")], sealed=False)

    results = asyncio.run(run_reconcile_job(job))
    assert [(r.partition, r.status) for r in results] == [
        ("2024-03-01", "reconciled"),
        ("2024-03-01-late", "reconciled"),
        ("2024-03-02", "skipped"),
    ]


def test_a_scrub_rereads_an_up_to_date_partition_and_reports_rot_at_rest(clock, ack_ids, make_signal) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    events = [make_signal(n) for n in (1, 2, 3)]
    reader.put("2024-03-01", events, sealed=True)

    async def scenario():
        first = await run_reconcile_job(job)
        reader.corrupt.add("2024-03-01")  # bits rot after the partition was reconciled
        unnoticed = await run_reconcile_job(job)
        scrubbed = await run_reconcile_job(job, scrub=True)
        return first, unnoticed, scrubbed

    first, unnoticed, scrubbed = asyncio.run(scenario())
    assert [r.status for r in first] == ["reconciled"]
    assert [r.status for r in unnoticed] == ["up_to_date"], "a plain pass does not read a settled partition"
    assert [(r.status, r.reason[:14]) for r in scrubbed] == [("corrupt", "ledger_corrupt")]


def test_only_a_scrub_asks_the_reader_to_read_an_open_days_closed_segments_again(clock, ack_ids, make_signal) -> None:
    """Between scrubs a pass reads what changed (see LedgerReader.get_partition_info); a scrub reads all."""
    job, reader, store, state, transport = world(clock, ack_ids)
    reader.put("2024-03-02", [make_signal(1)], sealed=False)

    async def scenario():
        await run_reconcile_job(job)
        await run_reconcile_job(job, scrub=True)
        await job.reconcile_partition("2024-03-02")

    asyncio.run(scenario())
    assert reader.rereads_asked == [False, True, False]


def test_a_partition_the_ledger_lost_entirely_is_reported_with_every_signal_riskcast_holds(
    clock, ack_ids, make_signal
) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    held = [make_signal(n) for n in (1, 2)]

    async def scenario():
        for event in held:
            await store.store(event)
        return await run_reconcile_job(job)  # the ledger has no partition at all any more

    (result,) = asyncio.run(scenario())
    assert (result.status, result.reason) == ("corrupt", "partition_missing_from_ledger")
    assert result.extra_ids == sorted(e.signal_id for e in held) and result.critical


def test_a_damaged_main_partition_that_is_not_sealed_is_reported_but_not_replayed(clock, ack_ids, make_signal) -> None:
    job, reader, store, state, transport = world(clock, ack_ids)
    reader.put("2024-03-01", [make_signal(1), make_signal(2), make_signal(3)], sealed=False)
    reader.corrupt.add("2024-03-01")
    original = reader.get_partition_info

    def corrupt_info(partition, **options):
        raise LedgerCorruptionError(partition, "segment-000001.log", 123, "crc mismatch")

    reader.get_partition_info = corrupt_info
    result = asyncio.run(job.reconcile_partition("2024-03-01"))
    reader.get_partition_info = original
    assert result.status == "corrupt" and "not sealed" in result.reason
    assert result.replayed_ids == [] and len(result.lost) == 1
