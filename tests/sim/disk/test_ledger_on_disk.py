"""The real ledger on the simulated disk: a crash at every disk op of a rollover.

Write three records (a full segment), then crash at each disk operation of the fourth
write in turn (the one that rolls over to a new segment), draw a crash state, reopen:
the writer must recover unaided and append again, and the reader must yield only valid
records: every acknowledged record, in strictly increasing sequence, nothing unknown.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from omen import FixedClock, SignalEvent
from omen.ledger import LedgerReader, LedgerWriter
from sim.crash import SimulatedCrash
from sim.disk import DiskFault, SimDisk

ROOT = "/ledger"
DAY = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
PARTITION = "2026-03-01"
SEEDS_PER_CRASH_POINT = 4


def event(index: int) -> SignalEvent:
    return SignalEvent.create(
        event_id=f"evt-{index}", input_event={"index": index}, ruleset_version="r1", category="weather",
        observed_at=DAY - timedelta(seconds=1), emitted_at=DAY, payload={"index": index})


def writer_on(disk: SimDisk) -> LedgerWriter:
    return LedgerWriter(ROOT, fs=disk, clock=FixedClock(DAY + timedelta(minutes=5)), segment_max_records=3)


class CrashAtOp:
    def __init__(self, disk: SimDisk, op_index: int) -> None:
        self.disk = disk
        self.op_index = op_index

    def decide(self, op: str, path: str, nbytes: int):
        return DiskFault("crash") if self.disk.op_count == self.op_index else None


def history(seed: int) -> tuple[SimDisk, LedgerWriter]:
    disk = SimDisk(random.Random(seed))
    writer = writer_on(disk)
    for index in range(1, 4):
        writer.write(event(index))
    return disk, writer


def rollover_op_range() -> range:
    disk, writer = history(0)
    start = disk.op_count
    writer.write(event(4))
    return range(start + 1, disk.op_count + 1)


def test_the_fourth_write_rolls_over_to_a_new_segment_through_many_disk_ops():
    disk, writer = history(0)
    writer.write(event(4))
    names = [n for n in disk.listdir(f"{ROOT}/{PARTITION}") if n.startswith("segment")]
    assert len(names) == 2
    assert len(rollover_op_range()) >= 8


@pytest.mark.parametrize("crash_op", list(rollover_op_range()))
def test_a_crash_at_any_op_of_a_rollover_leaves_a_ledger_that_recovers_and_reads_clean(crash_op):
    acked = {event(i).signal_id for i in range(1, 4)}
    maybe = event(4).signal_id
    for seed in range(SEEDS_PER_CRASH_POINT):
        disk, writer = history(seed)
        disk.fault_hook = CrashAtOp(disk, crash_op)
        with pytest.raises(SimulatedCrash):
            writer.write(event(4))
        disk.fault_hook = None
        disk.crash()

        reopened = writer_on(disk)
        reopened.write(event(5))
        reopened.close()

        records = list(LedgerReader(ROOT, fs=disk).read_partition(PARTITION))
        ids = [r.event.signal_id for r in records]
        sequences = [r.event.ledger_sequence for r in records]
        assert acked <= set(ids), f"an acknowledged record was lost (crash at op {crash_op}, seed {seed})"
        assert set(ids) <= acked | {maybe, event(5).signal_id}
        assert len(ids) == len(set(ids)), "a record was duplicated"
        assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
        assert ids[-1] == event(5).signal_id
