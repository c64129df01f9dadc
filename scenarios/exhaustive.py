"""Every crash state of a short history, checked: the ALICE-style exhaustive mode.

At a chosen instant the disk's pending history is short (a few entry operations and
unsynced writes). The disk enumerates every state a power loss could leave; each is
applied to a clone and the system's own recovery runs on it: the writer must open,
and the ledger must still hold every record whose write had returned, in sequence order.
"""
from __future__ import annotations

from dataclasses import dataclass

from omen import LedgerReader, LedgerWriteError, LedgerWriter
from omen.ledger import LedgerCorruptionError
from scenarios.ledger_oracle import parse_ledger
from sim.disk import SimDisk


@dataclass(frozen=True)
class CrashStateFinding:
    state_index: int
    states_total: int
    message: str


class _FixedClock:
    def __init__(self, moment) -> None:  # noqa: ANN001 - a datetime
        self._moment = moment

    def now(self):  # noqa: ANN201
        return self._moment


def check_all_crash_states(
    disk: SimDisk, root: str, acknowledged: set[str], *, now, states_max: int  # noqa: ANN001
) -> tuple[int, list[CrashStateFinding]]:
    """Returns (states checked, findings). Bounded by `states_max`."""
    states = disk.crash_states(limit=states_max)
    findings: list[CrashStateFinding] = []
    for index, state in enumerate(states):
        clone = disk.clone()
        clone.fault_hook = None
        clone.apply_crash_state(state)
        try:
            LedgerWriter(root, fs=clone, clock=_FixedClock(now)).close()
        except LedgerWriteError as error:
            findings.append(CrashStateFinding(index, len(states), f"the writer does not reopen: {error}"))
            continue
        recovered = parse_ledger(clone.visible_files(), root)
        ids = {record.signal_id for partition in recovered.values() for record in partition.records}
        lost = sorted(acknowledged - ids)
        if lost:
            findings.append(CrashStateFinding(
                index, len(states), f"{len(lost)} acknowledged record(s) lost, e.g. {lost[:3]}"))
        for name, partition in recovered.items():
            sequences = [record.sequence for record in partition.records]
            if any(b <= a for a, b in zip(sequences, sequences[1:])):
                findings.append(CrashStateFinding(index, len(states), f"{name}: sequence not increasing"))
        reader = LedgerReader(root, fs=clone)
        for name in reader.list_partitions():
            try:
                sum(1 for _ in reader.read_partition(name))
            except LedgerCorruptionError as error:
                findings.append(CrashStateFinding(index, len(states), f"{name} unreadable after recovery: {error}"))
    return len(states), findings
