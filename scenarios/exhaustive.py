"""Every crash state of a short history, checked: the ALICE-style exhaustive mode.

At a chosen instant the disk's pending history is short (a few entry operations and
unsynced writes). The disk enumerates every state a power loss could leave; each is
applied to a clone and the system's own recovery runs on it. The writer recovers lazily,
on the first write to a partition, so recovery is driven by writing one probe record
into each partition's day: the writer must recover and append, and afterwards the
ledger must hold every record whose write had returned plus the probes, every partition
must read without corruption, and sequences must strictly increase.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timezone
from typing import Any

from omen import FixedClock, LedgerReader, LedgerWriter, SignalEvent
from omen.ledger import LedgerCorruptionError, LedgerWriteError, recovery_scan_memo
from omen.ledger.writer import RecoveryScans
from scenarios.ledger_oracle import BytesMemo, parse_ledger
from scenarios.observers.ledger_files import is_segment
from sim.disk import SimDisk

PROBE_RULESET = "exhaustive-probe"


@dataclass(frozen=True)
class CrashStateFinding:
    state_index: int
    states_total: int
    message: str


def _probe(day: str, now: datetime) -> SignalEvent:
    """A record for `day` (noon UTC), written after the crash to make the writer recover that day."""
    moment = datetime.combine(datetime.fromisoformat(day).date(), time(12), tzinfo=timezone.utc)
    return SignalEvent.create(event_id=f"probe-{day}", input_event={"probe": day}, ruleset_version=PROBE_RULESET,
                              category="probe", observed_at=min(moment, now), emitted_at=min(moment, now))


def _days_with_segments(paths: Iterable[str], root: str) -> list[str]:
    """The days of the partitions that hold a segment file: the partitions `parse_ledger` returns,
    found from the paths alone (parsing every record of every state only to name them cost more
    than the rest of the check)."""
    prefix = root.rstrip("/") + "/"
    days: set[str] = set()
    for path in paths:  # the disk's paths are normalized: <root>/<partition>/<segment> splits in two
        if path.startswith(prefix):
            parts = path[len(prefix):].split("/")
            if len(parts) == 2 and is_segment(parts[1]):
                days.add(parts[0][:10])
    return sorted(days)


class _StateUnderCheck:
    """The `fs` port of one reader kept across the states of a check, pointed at the state under
    check: the reader's memo (by bytes, see omen.ledger.reader) then validates each segment the
    states share once, not once per state. The answers are the same: the memo keys on the bytes."""

    def __init__(self) -> None:
        self.disk: SimDisk | None = None

    def __getattr__(self, name: str) -> Any:
        assert self.disk is not None, "no crash state is under check"
        return getattr(self.disk, name)


def _findings_in_state(clone: SimDisk, days: list[str], root: str, acknowledged: set[str], now: datetime,
                       reader: LedgerReader, port: _StateUnderCheck, parsed: BytesMemo,
                       probes_by_day: dict[str, SignalEvent], scans: RecoveryScans) -> list[str]:
    writer = LedgerWriter(root, fs=clone, clock=FixedClock(now), recovery_scans=scans)
    probes: set[str] = set()
    for day in days:
        probe = probes_by_day.get(day)
        if probe is None:  # the same record for every state of a check: events are frozen
            probe = probes_by_day[day] = _probe(day, now)
        try:
            probes.add(writer.write(probe).signal_id)
        except (LedgerWriteError, LedgerCorruptionError) as error:
            return [f"the writer does not recover partition {day}: {type(error).__name__}: {error}"]
    writer.close()
    messages = []
    recovered = parse_ledger(clone.visible_files(), root, memo=parsed)
    ids = {record.signal_id for partition in recovered.values() for record in partition.records}
    lost = sorted((acknowledged | probes) - ids)
    if lost:
        messages.append(f"{len(lost)} acknowledged or probe record(s) lost, e.g. {lost[:3]}")
    for name, partition in recovered.items():
        sequences = [record.sequence for record in partition.records]
        if any(b <= a for a, b in zip(sequences, sequences[1:])):
            messages.append(f"{name}: sequence not increasing")
    port.disk = clone  # `reader` reads through `port`
    for name in reader.list_partitions():
        try:
            sum(1 for _ in reader.read_partition(name))
        except LedgerCorruptionError as error:
            messages.append(f"{name} unreadable after recovery: {error}")
    return messages


@dataclass
class CrashCheckMemos:
    """What the checks of one run share: the reader pointed at the state under check (its memo of
    verified segments), the oracle's parses and the writers' recovery scans.

    WHY across checks, not only across the states of one: a run checks up to `points_max` instants,
    and between two of them most segments did not change (sealed ones never do). Every memo keys on
    a segment's bytes (compared whole) and the rules it was read under, so a state gets the answers
    it would compute; each is bounded in bytes held. Probes are not shared: they depend on the
    check's instant.
    """

    port: _StateUnderCheck
    reader: LedgerReader
    parsed: BytesMemo
    scans: RecoveryScans


def crash_check_memos(root: str) -> CrashCheckMemos:
    """Fresh memos for the checks of one ledger under `root` (one run's)."""
    port = _StateUnderCheck()
    return CrashCheckMemos(port=port, reader=LedgerReader(root, fs=port), parsed=BytesMemo(),
                           scans=recovery_scan_memo())


def check_all_crash_states(
    disk: SimDisk, root: str, acknowledged: set[str], *, now: datetime, states_max: int,
    memos: CrashCheckMemos | None = None,
) -> tuple[int, list[CrashStateFinding]]:
    """Returns (states checked, findings). Bounded by `states_max`; the disk itself is untouched.
    `memos`: shared with the other checks of the same run (`crash_check_memos`), else fresh."""
    states = disk.crash_states(limit=states_max)
    findings: list[CrashStateFinding] = []
    if memos is None:
        memos = crash_check_memos(root)
    probes_by_day: dict[str, SignalEvent] = {}
    for index, state in enumerate(states):
        days = _days_with_segments((path for path, _ in state.files), root)
        clone = disk.clone_in_state(state)
        findings.extend(CrashStateFinding(index, len(states), message)
                        for message in _findings_in_state(clone, days, root, acknowledged, now, memos.reader,
                                                          memos.port, memos.parsed, probes_by_day, memos.scans))
    return len(states), findings
