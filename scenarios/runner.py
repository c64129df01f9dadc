"""One run of one scenario with one seed: build the world, run the phases, check.

`run()` is deterministic: the same scenario, seed, parameters, plan (and schedule, and
planted bug) give the same trace hash, in any process. It reads no wall clock; callers
that want wall seconds measure around it.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from faults import FaultPlan, FaultSchedule
from scenarios.catalog import Scenario, ScenarioParams, get_scenario
from scenarios.invariants import CHECKERS, CheckContext, Violation
from scenarios.observers import faults_suspended, final_context
from scenarios.phases import heal_phase, liveness_phase, safety_phase
from scenarios.workload import generate
from scenarios.world import LEDGER_ROOT, World, WorldConfig
from sim.loop import DeadlockError, SimulationTimeLimit
from sim.trace import Trace
from sim.rng import SeededStreams

TIME_LIMIT_SLACK_S = 3600.0
VIOLATIONS_PER_INVARIANT_MAX = 10  # the first few prove the point; a flood hides the others


@dataclass
class RunResult:
    scenario: str
    seed: int
    params: ScenarioParams
    plan: FaultPlan
    schedule: FaultSchedule
    bug: str | None
    violations: list[Violation]
    invariants: dict[str, dict[str, int]]
    faults: dict[str, int]
    signals: int
    sim_seconds: float
    trace_events: int
    world: Any = field(default=None, repr=False)
    trace: Trace | None = field(default=None, repr=False, compare=False)
    _trace_hash: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def trace_hash(self) -> str:
        """The SHA-256 of the run's canonical trace, computed on first ask.

        WHY lazily: hashing is about a twentieth of a run's cost (a canonical line per event), and most
        runs of a sweep or a hunt pass and are never asked (a passing run writes no repro). The events
        recorded when the run ended are hashed (the first `trace_events`: closing the simulation
        afterwards may let cancelled tasks record more), so the hash is the one an eager run computed.
        Once computed, the trace is let go (unless `world` keeps it).
        """
        if self._trace_hash is None:
            assert self.trace is not None, "a RunResult is built with the trace it hashes"
            self._trace_hash = self.trace.hash(self.trace_events)
            self.trace = None
        return self._trace_hash

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "bug": self.bug,
            "trace_hash": self.trace_hash,
            "violations": [v.to_json() for v in self.violations],
            "invariants": self.invariants,
            "faults": self.faults,
            "signals": self.signals,
            "sim_seconds": round(self.sim_seconds, 6),
            "trace_events": self.trace_events,
        }


def _config(params: ScenarioParams, seed: int) -> WorldConfig:
    midnight = datetime(2026, 1, 2, tzinfo=timezone.utc)
    return WorldConfig(
        seed=seed,
        epoch=midnight - timedelta(seconds=params.start_before_midnight_s),
        disk_profile=params.disk_profile,
        segment_max_bytes=params.segment_max_bytes,
        segment_max_records=params.segment_max_records,
        seal_grace_s=params.seal_grace_s,
        push_timeout_s=params.push_timeout_s,
        group_commit_max_batch=params.group_commit_max_batch,
        store_commit_rows_max=params.store_commit_rows_max,
    )


def run(
    scenario: str | Scenario,
    seed: int,
    *,
    plan: FaultPlan | None = None,
    overrides: dict | None = None,
    schedule: FaultSchedule | None = None,
    bug: str | None = None,
    keep_world: bool = False,
) -> RunResult:
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    spec = get_scenario(scenario) if isinstance(scenario, str) else scenario
    params = spec.params(overrides)
    if bug is not None:
        from scenarios.bugzoo import planted

        with planted(bug):
            return _run(spec, seed, params, plan, schedule, bug, keep_world)
    return _run(spec, seed, params, plan, schedule, None, keep_world)


def _run(
    spec: Scenario,
    seed: int,
    params: ScenarioParams,
    plan: FaultPlan | None,
    schedule: FaultSchedule | None,
    bug: str | None,
    keep_world: bool,
) -> RunResult:
    config = _config(params, seed)
    # plan and workload come from their own streams of the same seed: a fixed plan leaves the workload unchanged
    streams = SeededStreams(seed)
    resolved_plan = plan if plan is not None else spec.plan(params, streams.stream("plan"))
    planned = generate(params.workload, streams.stream("workload"), start_s=1.0)
    signal_count = len(planned)  # the workload driver empties the list as it hands the signals over
    world = World(config, resolved_plan, schedule=schedule)

    async def main() -> None:
        try:
            await safety_phase(world, params, planned, spec.drivers)
            await heal_phase(world)
            await liveness_phase(world)
        except Exception as error:  # noqa: BLE001 - the system raised into the harness: a finding
            world.record_unexpected_error("world", f"{type(error).__name__}: {error}",
                                          f"run: {type(error).__name__}: {error}")

    time_limit_s = params.duration_s + config.liveness_limit_s + TIME_LIMIT_SLACK_S
    try:
        world.sim.run(main(), time_limit_s=time_limit_s)
    except DeadlockError as error:
        world.observations.deadlock = str(error)
    except SimulationTimeLimit as error:
        world.observations.deadlock = f"virtual time limit reached: {error}"
    for node in world.sim.nodes:  # a task that died unawaited (a fault driver's, say) is a finding too
        for task_name, error in node.task_errors:
            world.record_unexpected_error(node.name, f"{type(error).__name__}: {error}",
                                          f"task {task_name} died: {type(error).__name__}: {error}")
    context = _final_context(world)
    violations: list[Violation] = []
    invariants: dict[str, dict[str, int]] = {}
    for name, checker in {**CHECKERS, **dict(spec.checkers)}.items():
        found = list(itertools.islice(checker(context), VIOLATIONS_PER_INVARIANT_MAX))
        violations.extend(found)
        invariants[name] = {"checked": 1, "violated": 1 if found else 0}
    result = RunResult(
        scenario=spec.name,
        seed=seed,
        params=params,
        plan=resolved_plan,
        schedule=world.injector.schedule,
        bug=bug,
        violations=violations,
        invariants=invariants,
        faults=world.injector.counters_sorted(),
        signals=signal_count,
        sim_seconds=world.sim.now_s,
        trace_events=len(world.trace),
        world=world if keep_world else None,
        trace=world.trace,
    )
    world.sim.close()
    return result


def _final_context(world: World) -> CheckContext:
    """The end of the run as plain data (bytes, rows, the reader's view), read without faults."""
    world.observe_manifests()
    with faults_suspended(world.disk):
        visible_files = world.disk.visible_files()
        durable_files = world.disk.durable_files()
        return final_context(
            root=LEDGER_ROOT,
            visible_files=visible_files,
            durable_files=durable_files,
            reader_fs=world.disk,
            conn=world.conn,
            events=world.trace.events,
            observations=world.observations,
            faults_fired=world.injector.counters_sorted(),
        )
