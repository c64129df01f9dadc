"""Group commit: many records, one fsync, and still ledger-first.

Specs of `LedgerWriter.write_many` (on the real disk and the simulated one) and of the async
`GroupCommitter`, including a power loss inside a group under the simulation: every record
whose write returned survives, and no record of the unfinished group was reported written.
"""
from __future__ import annotations

import asyncio
import errno
import os
import random
from datetime import timedelta

import pytest

from omen import FixedClock, LedgerReader, LedgerWriteError, LedgerWriter, SignalEvent
from omen.emitter import BackpressureController, EmitStatus, SignalEmitter
from omen.ledger.errors import LedgerRecordTooLargeError
from omen.ledger.group_commit import GroupCommitQueueFullError, GroupCommitter
from omen.ledger.writer import LedgerBatchRecordTooLargeError, LedgerBatchWriteError
from sim.crash import SimulatedCrash
from sim.disk import DiskFault, SimDisk
from sim.simulation import Simulation
from tests.omen.ledger_helpers import DAY_1, WrappedFs, make_event

ROOT = "/ledger"


def read_back(root: str, fs=os) -> dict[str, list[tuple[int, str]]]:
    reader = LedgerReader(root, fs=fs)
    return {
        partition: [(record.event.ledger_sequence, record.event.signal_id) for record in reader.read_partition(partition)]
        for partition in reader.list_partitions()
    }


class FsyncCounter:
    """A SimDisk fault hook that counts fsyncs of segment files and crashes at a chosen op."""

    def __init__(self, crash_at_segment_fsync: int | None = None, crash_op: str = "fsync") -> None:
        self.segment_fsyncs = 0
        self.segment_writes = 0
        self.crash_at = crash_at_segment_fsync
        self.crash_op = crash_op

    def decide(self, op: str, path: str, nbytes: int) -> DiskFault | None:
        if not path.endswith(".log"):
            return None
        if op == "fsync":
            self.segment_fsyncs += 1
            count = self.segment_fsyncs
        elif op == "write":
            self.segment_writes += 1
            count = self.segment_writes
        else:
            return None
        if op == self.crash_op and count == self.crash_at:
            return DiskFault("crash")
        return None


# ------------------------------------------------------------------ write_many


def test_write_many_places_a_batch_with_consecutive_sequences_and_one_fsync(tmp_path, clock):
    fs = WrappedFs()
    root = str(tmp_path / "ledger")
    with LedgerWriter(root, fs=fs, clock=clock) as writer:
        writer.write(make_event(0))
        fs.calls.clear()
        placed = writer.write_many([make_event(i) for i in range(1, 21)])
    assert [event.ledger_sequence for event in placed] == list(range(2, 22))
    assert [event.signal_id for event in placed] == [make_event(i).signal_id for i in range(1, 21)]
    assert fs.calls.count("fsync") == 1, fs.calls
    assert fs.calls.count("write") == 1, fs.calls
    assert read_back(root)["2026-03-01"] == [(1, make_event(0).signal_id)] + [
        (e.ledger_sequence, e.signal_id) for e in placed]


def test_write_many_of_nothing_writes_nothing(tmp_path, clock):
    fs = WrappedFs()
    with LedgerWriter(str(tmp_path / "ledger"), fs=fs, clock=clock) as writer:
        assert writer.write_many([]) == []
    assert fs.calls == []


def test_a_group_that_crosses_a_rollover_keeps_the_sequence_and_seals_the_full_segments(tmp_path, clock):
    root = str(tmp_path / "ledger")
    with LedgerWriter(root, clock=clock, segment_max_records=4) as writer:
        writer.write(make_event(0))
        placed = writer.write_many([make_event(i) for i in range(1, 11)])
    assert [e.ledger_sequence for e in placed] == list(range(2, 12))
    records = read_back(root)["2026-03-01"]
    assert [sequence for sequence, _ in records] == list(range(1, 12))
    partition_dir = os.path.join(root, "2026-03-01")
    segments = sorted(name for name in os.listdir(partition_dir) if name.endswith(".log"))
    assert segments == ["segment-000001.log", "segment-000002.log", "segment-000003.log"]
    assert all(os.stat(os.path.join(partition_dir, s)).st_mode & 0o222 == 0 for s in segments[:-1])


def test_a_group_that_overflows_the_segment_byte_limit_rolls_over_between_records(tmp_path, clock):
    root = str(tmp_path / "ledger")
    with LedgerWriter(root, clock=clock, segment_max_bytes=2000) as writer:
        placed = writer.write_many([make_event(i) for i in range(12)])
    partition_dir = os.path.join(root, "2026-03-01")
    sizes = [os.stat(os.path.join(partition_dir, n)).st_size for n in sorted(os.listdir(partition_dir)) if n.endswith(".log")]
    assert len(sizes) > 1 and all(size <= 2000 for size in sizes), sizes
    assert [s for s, _ in read_back(root)["2026-03-01"]] == [e.ledger_sequence for e in placed] == list(range(1, 13))


def test_a_run_never_grows_past_one_maximal_frame_so_a_torn_run_reads_as_a_torn_tail(tmp_path, clock):
    fs = WrappedFs()
    root = str(tmp_path / "ledger")
    with LedgerWriter(root, fs=fs, clock=clock, frame_max_bytes=2048) as writer:
        writer.write(make_event(0))
        fs.calls.clear()
        writer.write_many([make_event(i) for i in range(1, 31)])
    segment = os.path.join(root, "2026-03-01", "segment-000001.log")
    frame_bytes = (os.stat(segment).st_size) // 31
    runs_min = -(-30 * frame_bytes // 2048)
    assert fs.calls.count("fsync") >= runs_min > 1
    assert len(read_back(root)["2026-03-01"]) == 31


def test_a_group_spanning_two_days_goes_to_two_partitions_in_input_order(tmp_path, clock):
    root = str(tmp_path / "ledger")
    day_2 = DAY_1 + timedelta(days=1)
    events = [make_event(0), make_event(1), make_event(2, day_2), make_event(3), make_event(4, day_2)]
    with LedgerWriter(root, clock=clock) as writer:
        placed = writer.write_many(events)
    assert [(e.ledger_partition, e.ledger_sequence) for e in placed] == [
        ("2026-03-01", 1), ("2026-03-01", 2), ("2026-03-02", 1), ("2026-03-01", 3), ("2026-03-02", 2)]
    assert [s for s, _ in read_back(root)["2026-03-02"]] == [1, 2]


def test_a_group_for_a_sealed_day_goes_to_its_late_partition(tmp_path, clock):
    root = str(tmp_path / "ledger")
    with LedgerWriter(root, clock=clock) as writer:
        writer.write(make_event(0))
        writer.seal_partition("2026-03-01")
        placed = writer.write_many([make_event(1), make_event(2)])
    assert {e.ledger_partition for e in placed} == {"2026-03-01-late"}
    assert LedgerReader(root).get_partition_highwater("2026-03-01-late") == 2


def test_a_failed_write_returns_the_durable_prefix_and_rolls_back_the_rest(tmp_path, clock):
    fs = WrappedFs()
    root = str(tmp_path / "ledger")
    day_2 = DAY_1 + timedelta(days=1)
    events = [make_event(0), make_event(1), make_event(2, day_2), make_event(3, day_2)]
    with LedgerWriter(root, fs=fs, clock=clock) as writer:
        writer.write(make_event(8))
        writer.write(make_event(9, day_2))  # both partitions exist: each run below is one write, one fsync
        writes = {"count": 0}

        def second_write(args) -> bool:
            writes["count"] += 1
            return writes["count"] == 2

        fs.fail("write", errno.EIO, when=second_write)
        with pytest.raises(LedgerBatchWriteError) as caught:
            writer.write_many(events)
        assert [e.signal_id for e in caught.value.written] == [events[0].signal_id, events[1].signal_id]
        assert isinstance(caught.value, LedgerWriteError)
        assert "first 2 records of the batch are durable" in str(caught.value)
        after = writer.write(make_event(5, day_2))
    ledger = read_back(root)
    assert [sid for _, sid in ledger["2026-03-01"]] == [make_event(8).signal_id, events[0].signal_id, events[1].signal_id]
    assert [s for s, _ in ledger["2026-03-02"]] == [1, 4]  # numbers 2 and 3 were burned, never reused
    assert after.ledger_sequence == 4


def test_a_record_too_large_stops_the_group_after_writing_what_came_before(tmp_path, clock):
    root = str(tmp_path / "ledger")
    big = SignalEvent.create(
        event_id="evt-big", input_event={"i": 1}, ruleset_version="r1", category="weather",
        observed_at=DAY_1, emitted_at=DAY_1, payload={"blob": "x" * 5000},
    )
    with LedgerWriter(root, clock=clock, frame_max_bytes=4096) as writer:
        with pytest.raises(LedgerBatchRecordTooLargeError) as caught:
            writer.write_many([make_event(0), big, make_event(1)])
    assert isinstance(caught.value, LedgerRecordTooLargeError)
    assert [e.signal_id for e in caught.value.written] == [make_event(0).signal_id]
    assert [sid for _, sid in read_back(root)["2026-03-01"]] == [make_event(0).signal_id]


def test_write_and_write_many_share_one_partition_wide_sequence(tmp_path, clock):
    root = str(tmp_path / "ledger")
    with LedgerWriter(root, clock=clock, segment_max_records=3) as writer:
        writer.write(make_event(0))
        writer.write_many([make_event(1), make_event(2), make_event(3)])
        writer.write(make_event(4))
        writer.write_many([make_event(5)])
    with LedgerWriter(root, clock=clock, segment_max_records=3) as writer:
        last = writer.write_many([make_event(6), make_event(7)])
    assert [s for s, _ in read_back(root)["2026-03-01"]] == list(range(1, 9))
    assert last[-1].ledger_sequence == 8


# ------------------------------------------------------------------ GroupCommitter (simulated)


def sim_world(seed: int, hook: FsyncCounter | None = None) -> tuple[Simulation, SimDisk, LedgerWriter]:
    simulation = Simulation(seed)
    disk = SimDisk(simulation.rng.stream("disk"))
    writer = LedgerWriter(ROOT, fs=disk, clock=FixedClock(DAY_1 + timedelta(minutes=5)), segment_max_records=8)
    disk.fault_hook = hook
    return simulation, disk, writer


async def write_waves(committer: GroupCommitter, waves: int, per_wave: int,
                      returned: list[SignalEvent], lost: list[str]) -> bool:
    """`waves` bursts of `per_wave` concurrent writers, 10 ms apart; record who returned and who did not.

    A SimulatedCrash in any writer is a power loss of the process: every other writer is cancelled
    (as a node crash does) and no wave starts after it. Returns whether the crash happened.
    """
    tasks: list[asyncio.Future] = []
    crashed = False

    async def one(event: SignalEvent) -> None:
        nonlocal crashed
        try:
            returned.append(await committer.write(event))
        except (asyncio.CancelledError, LedgerWriteError):
            lost.append(event.signal_id)
        except SimulatedCrash:
            lost.append(event.signal_id)
            crashed = True
            for task in tasks:
                task.cancel()

    for wave in range(waves):
        if crashed:
            break
        tasks += [asyncio.ensure_future(one(make_event(wave * 100 + i))) for i in range(per_wave)]
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks, return_exceptions=True)
    return crashed


def test_concurrent_writers_share_one_fsync_and_each_gets_its_placed_event():
    hook = FsyncCounter()
    simulation, disk, writer = sim_world(1, hook)
    committer = GroupCommitter(writer, max_batch=64)
    events = [make_event(i) for i in range(20)]

    async def main() -> list[SignalEvent]:
        return list(await asyncio.gather(*(committer.write(e) for e in events)))

    placed = simulation.run(main())
    assert sorted(e.signal_id for e in placed) == sorted(e.signal_id for e in events)
    assert sorted(e.ledger_sequence for e in placed) == list(range(1, 21))
    assert committer.batches_committed == 1
    # 20 records over segments of 8: one fsync per run (8, 8, 4), plus two per sealed segment
    assert hook.segment_fsyncs == 3 + 2 * 2
    assert read_back(ROOT, disk)["2026-03-01"] == sorted((e.ledger_sequence, e.signal_id) for e in placed)


def test_max_batch_bounds_the_records_of_one_fsync():
    simulation, disk, writer = sim_world(2)
    writer = LedgerWriter(ROOT, fs=disk, clock=FixedClock(DAY_1))
    committer = GroupCommitter(writer, max_batch=5)

    async def main() -> None:
        await asyncio.gather(*(committer.write(make_event(i)) for i in range(12)))

    simulation.run(main())
    assert committer.batches_committed == 3
    assert committer.records_committed == 12


def test_a_caller_returns_only_after_its_record_is_durable():
    simulation, disk, writer = sim_world(3)
    committer = GroupCommitter(writer, max_batch=4, max_delay_s=0.001)
    checked: list[bool] = []

    async def one(i: int) -> None:
        placed = await committer.write(make_event(i))
        durable = read_back_durable(disk)
        checked.append(placed.signal_id in durable)

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(10)))

    simulation.run(main())
    assert checked == [True] * 10


def read_back_durable(disk: SimDisk) -> set[str]:
    crashed = disk.clone()
    crashed.fault_hook = None
    crashed.crash()
    try:
        return {sid for records in read_back(ROOT, crashed).values() for _, sid in records}
    except FileNotFoundError:
        return set()


@pytest.mark.parametrize("crash_op", ["fsync", "write"])
@pytest.mark.parametrize("crash_at", [1, 2, 3, 5, 7])
def test_a_crash_inside_a_group_loses_only_records_whose_write_had_not_returned(crash_op, crash_at):
    for seed in range(4):
        hook = FsyncCounter(crash_at_segment_fsync=crash_at, crash_op=crash_op)
        simulation, disk, writer = sim_world(seed, hook)
        committer = GroupCommitter(writer, max_batch=6)
        returned: list[SignalEvent] = []
        lost: list[str] = []
        crashed = simulation.run(write_waves(committer, waves=4, per_wave=5, returned=returned, lost=lost))
        disk.fault_hook = None
        disk.crash()
        recovered = LedgerWriter(ROOT, fs=disk, clock=FixedClock(DAY_1 + timedelta(hours=1)), segment_max_records=8)
        recovered.write(make_event(9999))  # recovery ran: torn tail truncated, partition writable
        ledger = read_back(ROOT, disk).get("2026-03-01", [])
        on_disk = {sid for _, sid in ledger}
        for event in returned:
            assert (event.ledger_sequence, event.signal_id) in ledger, (
                f"seed {seed}: {event.signal_id} was reported written but did not survive the crash")
        returned_ids = {e.signal_id for e in returned}
        assert not returned_ids & set(lost)
        assert [s for s, _ in ledger] == sorted(s for s, _ in ledger) and len(set(s for s, _ in ledger)) == len(ledger)
        if crash_at <= 3:
            assert crashed, f"seed {seed}: the planned crash at {crash_op} #{crash_at} never fired"
        if crashed:
            assert len(returned) < 20, f"seed {seed}: the crash fired, so some writer must not have returned"
            assert len(returned) + len(lost) <= 20
        assert on_disk >= returned_ids


def test_a_cancelled_leader_hands_its_followers_a_commit_and_its_own_record_is_not_written():
    simulation, disk, writer = sim_world(5)
    committer = GroupCommitter(writer, max_batch=8, max_delay_s=0.05)

    async def main() -> tuple[str, list[SignalEvent]]:
        leader = asyncio.ensure_future(committer.write(make_event(0)))
        await asyncio.sleep(0)
        followers = [asyncio.ensure_future(committer.write(make_event(i))) for i in range(1, 4)]
        await asyncio.sleep(0.01)
        leader.cancel()
        placed = await asyncio.gather(*followers)
        outcome = "cancelled" if leader.cancelled() else "done"
        return outcome, list(placed)

    outcome, placed = simulation.run(main())
    assert outcome == "cancelled"
    assert [e.signal_id for e in placed] == [make_event(i).signal_id for i in range(1, 4)]
    assert make_event(0).signal_id not in {sid for _, sid in read_back(ROOT, disk)["2026-03-01"]}


def test_a_failed_group_fails_every_caller_whose_record_is_not_durable():
    simulation, disk, writer = sim_world(6)

    class FailSecondFsync:
        fsyncs = 0

        def decide(self, op, path, nbytes):  # noqa: ANN001, ANN201
            if op == "fsync" and path.endswith(".log"):
                self.fsyncs += 1
                if self.fsyncs == 1:
                    return DiskFault("fsync_eio")
            return None

    disk.fault_hook = FailSecondFsync()
    committer = GroupCommitter(writer, max_batch=8)

    async def main() -> list:
        return list(await asyncio.gather(*(committer.write(make_event(i)) for i in range(5)), return_exceptions=True))

    outcomes = simulation.run(main())
    assert all(isinstance(o, LedgerWriteError) for o in outcomes), outcomes
    assert read_back(ROOT, disk) in ({}, {"2026-03-01": []})


def test_a_full_queue_refuses_the_write_with_a_typed_error():
    simulation, disk, writer = sim_world(7)
    committer = GroupCommitter(writer, max_batch=2, pending_max=2, max_delay_s=0.01)

    async def main() -> list:
        return list(await asyncio.gather(*(committer.write(make_event(i)) for i in range(3)), return_exceptions=True))

    outcomes = simulation.run(main())
    assert sum(isinstance(o, GroupCommitQueueFullError) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, SignalEvent) for o in outcomes) == 2, outcomes


@pytest.mark.parametrize("kwargs", [{"max_batch": 0}, {"max_batch": 4, "pending_max": 2}, {"max_delay_s": -1.0}])
def test_bad_committer_settings_are_refused(kwargs, tmp_path, clock):
    with pytest.raises(ValueError):
        GroupCommitter(LedgerWriter(str(tmp_path), clock=clock), **kwargs)


def test_the_emitter_pushes_through_a_committer_only_after_the_group_fsync():
    simulation, disk, writer = sim_world(8)
    committer = GroupCommitter(writer, max_batch=16)
    durable_at_push: list[bool] = []

    class CheckingTransport:
        async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
            import json

            signal_id = json.loads(body)["signal_id"]
            durable_at_push.append(signal_id in read_back_durable(disk))
            return 200, json.dumps({"ack_id": f"ack-{signal_id}"}).encode()

    emitter = SignalEmitter(committer, CheckingTransport(), "http://riskcast/ingest",
                            backpressure=BackpressureController())

    async def main() -> list:
        return list(await asyncio.gather(*(emitter.emit(make_event(i)) for i in range(6))))

    results = simulation.run(main())
    assert [r.status for r in results] == [EmitStatus.DELIVERED] * 6
    assert durable_at_push == [True] * 6
    assert committer.batches_committed == 1


def test_group_commit_on_the_simulated_disk_is_deterministic():
    def one_run() -> list[tuple[int, str]]:
        simulation, disk, writer = sim_world(11)
        committer = GroupCommitter(writer, max_batch=3, max_delay_s=0.002)
        returned: list[SignalEvent] = []
        simulation.run(write_waves(committer, 3, 4, returned, []))
        return [(e.ledger_sequence, e.signal_id) for e in returned]

    assert one_run() == one_run()


def test_the_shuffled_interleaving_never_breaks_the_group_order_invariant():
    for seed in range(6):
        simulation, disk, writer = sim_world(seed)
        committer = GroupCommitter(writer, max_batch=random.Random(seed).randint(1, 7))
        returned: list[SignalEvent] = []
        simulation.run(write_waves(committer, 3, 5, returned, []))
        assert sorted(e.ledger_sequence for e in returned) == list(range(1, 16))
