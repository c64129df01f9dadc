"""The exhaustive crash points: at chosen instants, every state a power loss could leave is checked.

Before each metadata step of rollover and seal (a replace, a directory or temp-file fsync; every
`stride`-th one, at most `points_max`), and at a few quiet instants between writes, the disk's
pending history is enumerated (`scenarios/exhaustive.py`) and the writer must recover from each
state. That is where the short, interesting histories are: the rest of the time everything the
writer did is already durable. Findings go to `observations.crash_state_findings`, which
`recoverability` judges.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scenarios.exhaustive import CrashCheckMemos, check_all_crash_states, crash_check_memos
from scenarios.invariants.delivery_checks import ACKNOWLEDGED
from scenarios.observers.files import faults_suspended
from sim.disk import CrashStateLimitError

if TYPE_CHECKING:
    from scenarios.catalog import ScenarioParams
    from scenarios.world import World

FINDINGS_PER_POINT_MAX = 5
STATES_MAX_LIMIT = 100_000


@dataclass(frozen=True)
class ExhaustiveCrashPoints:
    states_max: int = 64  # crash states enumerated per instant, at most
    points_max: int = 40  # metadata steps checked per run
    stride: int = 2  # every 2nd metadata step, from the first
    quiet_checks: int = 4  # instants between writes, evenly spread over the safety phase

    def __post_init__(self) -> None:
        if not 1 <= self.states_max <= STATES_MAX_LIMIT:
            raise ValueError(f"states_max must be in 1..{STATES_MAX_LIMIT}, got {self.states_max}")
        if self.points_max < 0 or self.stride < 1 or self.quiet_checks < 0:
            raise ValueError("points_max and quiet_checks must be >= 0 and stride >= 1")

    def install(self, world: "World", params: "ScenarioParams") -> None:
        memos = crash_check_memos(world.ledger_root)  # this run's: shared by its checks, dropped with it
        acknowledged = AcknowledgedIds()  # the run's too
        world.disk.fault_hook = _MetadataCrashPoints(self, world, world.disk.fault_hook, memos, acknowledged)
        world.spawn("source", self._quiet_instants, world, params.duration_s, memos, acknowledged,
                    name="source.exhaustive")

    async def _quiet_instants(self, world: "World", duration_s: float, memos: CrashCheckMemos,
                              acknowledged: "AcknowledgedIds | None" = None) -> None:
        interval_s = duration_s / (self.quiet_checks + 1)
        for _ in range(self.quiet_checks):
            await asyncio.sleep(interval_s)
            if world.nodes["omen"].alive and world.writer is not None:
                self.check_now(world, "between writes", memos, acknowledged)

    def check_now(self, world: "World", where: str, memos: CrashCheckMemos | None = None,
                  acknowledged_ids: "AcknowledgedIds | None" = None) -> None:
        """Enumerate every state a power loss right now could leave; the writer must recover from each.
        `memos`: the run's, shared by its checks (see scenarios.exhaustive.CrashCheckMemos);
        `acknowledged_ids`: the run's reading of the acknowledged records (else read afresh)."""
        acknowledged = (acknowledged_ids or AcknowledgedIds()).of(world.trace.events)
        with faults_suspended(world.disk):
            try:
                checked, findings = check_all_crash_states(
                    world.disk, world.ledger_root, acknowledged, now=world.nodes["omen"].clock.now(),
                    states_max=self.states_max, memos=memos,
                )
            except CrashStateLimitError as error:
                # the pending history is too long to enumerate here: another instant will be shorter
                world.trace.record("source", "exhaustive.skipped", where=where, reason=str(error))
                return
        index = world.trace.record("source", "exhaustive.checked", where=where, states=checked,
                                   findings=len(findings))
        for finding in findings[:FINDINGS_PER_POINT_MAX]:
            world.observations.crash_state_findings.append(
                (index, f"crash state {finding.state_index}/{finding.states_total} {where}: {finding.message}"))


class _MetadataCrashPoints:
    """Wraps the disk's fault hook: checks every crash state before chosen metadata steps, then lets
    the fault layer decide as usual."""

    def __init__(self, spec: ExhaustiveCrashPoints, world: "World", inner: object,
                 memos: CrashCheckMemos | None = None, acknowledged: "AcknowledgedIds | None" = None) -> None:
        self._spec = spec
        self._world = world
        self._inner = inner
        self._memos = memos
        self._acknowledged = acknowledged
        self.points_left = spec.points_max
        self._steps_seen = 0

    def decide(self, op: str, path: str, nbytes: int) -> object:
        metadata_step = op == "replace" or (op == "fsync" and not path.endswith(".log"))
        if metadata_step:
            self._steps_seen += 1
        if (metadata_step and self._steps_seen % self._spec.stride == 1 % self._spec.stride
                and self.points_left > 0 and self._world.nodes["omen"].alive):
            self.points_left -= 1
            self._spec.check_now(self._world, f"before {op} {path}", self._memos, self._acknowledged)
        return self._inner.decide(op, path, nbytes) if self._inner is not None else None


class AcknowledgedIds:
    """The signal ids a run's trace shows acknowledged (an `emit.result` whose status is in
    ACKNOWLEDGED), read from the events recorded since the last check.

    WHY: every check read the whole trace again, and a run checks about 40 instants. The trace is
    append-only (`Trace.events` is only appended to, and a recorded event's fields are never
    changed), so the events read before say the same at the next check; a different events list
    starts the reading over. Bounded by the run's trace: one id per acknowledged emit at most."""

    def __init__(self) -> None:
        self._events: list | None = None
        self._read = 0
        self._ids: set[str] = set()

    def of(self, events: list) -> frozenset[str]:
        """The ids `events` shows acknowledged: the same set the whole list gives, as a frozen copy
        (the next check's reading grows this one)."""
        if events is not self._events or len(events) < self._read:
            self._events, self._read, self._ids = events, 0, set()
        ids = self._ids
        for event in events[self._read:]:
            if event.kind == "emit.result" and event.fields.get("status") in ACKNOWLEDGED:
                ids.add(event.fields["signal_id"])
        self._read = len(events)
        return frozenset(ids)
