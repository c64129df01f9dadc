"""A Hypothesis state machine over the real ledger writer and reader on the simulated disk.

WHY stateful: the ledger's worst bugs need a program, not an input: write, crash mid-append so a
torn frame survives, reopen, write again, read. Hypothesis generates such programs, checks the
ledger's invariants after every step, and shrinks a failing program to a handful of steps.

Rules (all synchronous: the writer is synchronous, and Hypothesis has no async rules; the disk's
crash model is driven directly, with a seed drawn by Hypothesis so the crash state shrinks too):
write, roll_over (writes a full segment), seal (the day's main partition; later records go to
its -late partition), crash_mid_write (power loss at the n-th disk op of a kind during the next write, then a
seeded crash state), crash (power loss between operations), reopen (a fresh writer recovers from
what survived), read (a full read through the reader).

Invariants, after every step:
- sequence: in every partition, `ledger_sequence` strictly increases in read order, and a number
  acknowledged once is never handed out again;
- readable prefix: the reader reads every partition without a corruption error;
- nothing acknowledged lost: every acknowledged record is read back, in its partition, with the
  sequence it was acknowledged with; nothing is read that was never written.

Use it in a test module with `TestLedger = LedgerMachine.TestCase`, or run it under a planted
bug with `hypothesis.stateful.run_state_machine_as_test(LedgerMachine, settings=...)`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from omen import FixedClock, SignalEvent
from omen.ledger import LedgerCorruptionError, LedgerReader, LedgerWriter
from sim.crash import SimulatedCrash
from sim.disk import DiskFault, SimDisk

ROOT = "/ledger"
DAY = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
PARTITION = "2026-03-01"
SEGMENT_MAX_RECORDS = 3
# The disk ops a write may be cut at, the frame's own write first (the one that tears a tail).
CRASH_OPS = ("write", "fsync", "open", "replace", "mkdir", "ftruncate", "close")
CRASH_NTH_MAX = 3  # a rollover writes the frame, _CURRENT and maybe a manifest: a few of each op
SIGNALS_MAX = 10_000  # a bound on the events one program writes


def signal(index: int) -> SignalEvent:
    return SignalEvent.create(
        event_id=f"evt-{index}", input_event={"index": index}, ruleset_version="r1", category="weather",
        observed_at=DAY - timedelta(seconds=1), emitted_at=DAY, payload={"index": index})


class CrashAtOp:
    """A disk fault hook: power loss at the start of the `nth` (from 1) disk op named `op`."""

    def __init__(self, op: str, nth: int) -> None:
        assert nth >= 1
        self.op = op
        self.nth = nth
        self.seen = 0

    def decide(self, op: str, path: str, nbytes: int) -> DiskFault | None:
        if op != self.op:
            return None
        self.seen += 1
        return DiskFault("crash") if self.seen == self.nth else None


@dataclass(frozen=True)
class Acked:
    signal_id: str
    partition: str
    sequence: int


class LedgerMachine(RuleBasedStateMachine):
    """The model: what was acknowledged, what may or may not have survived a crash."""

    def __init__(self) -> None:
        super().__init__()
        self.disk = SimDisk(random.Random(0))
        self.clock = FixedClock(DAY + timedelta(minutes=5))
        self.writer: LedgerWriter | None = self._open()
        self.acked: dict[str, Acked] = {}
        self.maybe: set[str] = set()  # written when a crash struck: may or may not have survived
        self.sequences_handed: dict[str, set[int]] = {}
        self.next_index = 1

    def _open(self) -> LedgerWriter:
        return LedgerWriter(ROOT, fs=self.disk, clock=self.clock, segment_max_records=SEGMENT_MAX_RECORDS)

    def _write_one(self) -> None:
        assert self.writer is not None
        assert self.next_index <= SIGNALS_MAX, "program writes too many signals"
        event = signal(self.next_index)
        self.next_index += 1
        placed = self.writer.write(event)
        partition, sequence = placed.ledger_partition, placed.ledger_sequence
        assert sequence not in self.sequences_handed.setdefault(partition, set()), (
            f"sequence {sequence} of {partition} handed out twice")
        self.sequences_handed[partition].add(sequence)
        self.acked[placed.signal_id] = Acked(placed.signal_id, partition, sequence)

    # ---- rules ---------------------------------------------------------------------------------

    @precondition(lambda self: self.writer is not None)
    @rule()
    def write(self) -> None:
        self._write_one()

    @precondition(lambda self: self.writer is not None)
    @rule()
    def roll_over(self) -> None:
        for _ in range(SEGMENT_MAX_RECORDS):
            self._write_one()

    @precondition(lambda self: self.writer is not None)
    @rule()
    def seal(self) -> None:
        assert self.writer is not None
        self.writer.seal_partition(PARTITION)

    @precondition(lambda self: self.writer is not None)
    @rule(op=st.sampled_from(CRASH_OPS), nth=st.integers(1, CRASH_NTH_MAX), seed=st.integers(0, 2**16))
    def crash_mid_write(self, op: str, nth: int, seed: int) -> None:
        assert self.writer is not None
        self.disk.rng.seed(seed)
        event = signal(self.next_index)
        self.disk.fault_hook = CrashAtOp(op, nth)
        try:
            self._write_one()  # this write did not reach that op: it completed and was acked
        except SimulatedCrash:
            self.maybe.add(event.signal_id)
        finally:
            self.disk.fault_hook = None
        self.disk.crash()
        self.writer = None

    @precondition(lambda self: self.writer is not None)
    @rule(seed=st.integers(0, 2**16))
    def crash(self, seed: int) -> None:
        self.disk.rng.seed(seed)
        self.disk.crash()
        self.writer = None

    @precondition(lambda self: self.writer is None)
    @rule()
    def reopen(self) -> None:
        self.writer = self._open()

    @rule()
    def read(self) -> None:
        self._read_all()

    # ---- invariants ----------------------------------------------------------------------------

    def _read_all(self) -> dict[str, list[tuple[str, int]]]:
        reader = LedgerReader(ROOT, fs=self.disk)
        read: dict[str, list[tuple[str, int]]] = {}
        for partition in reader.list_partitions():
            try:
                read[partition] = [(r.event.signal_id, r.event.ledger_sequence)
                                   for r in reader.read_partition(partition)]
            except LedgerCorruptionError as error:
                raise AssertionError(f"readable prefix: partition {partition} does not read: {error}") from error
        return read

    @invariant()
    def ledger_reads_back_everything_acknowledged_in_sequence(self) -> None:
        read = self._read_all()
        for partition, records in read.items():
            sequences = [sequence for _, sequence in records]
            assert all(a < b for a, b in zip(sequences, sequences[1:])), (
                f"sequence: {partition} reads sequences {sequences}, not strictly increasing")
            for signal_id, _ in records:
                assert signal_id in self.acked or signal_id in self.maybe, (
                    f"unexpected: {signal_id} read from {partition} but never written")
        found = {(signal_id, partition, sequence)
                 for partition, records in read.items() for signal_id, sequence in records}
        for acked in self.acked.values():
            assert (acked.signal_id, acked.partition, acked.sequence) in found, (
                f"lost: acknowledged {acked.signal_id} (partition {acked.partition}, sequence "
                f"{acked.sequence}) is not read back")
