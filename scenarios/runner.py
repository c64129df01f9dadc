"""One run of one scenario with one seed: build the world, run the phases, check.

`run()` is deterministic: the same scenario, seed, parameters, plan (and schedule, and
planted bug) give the same trace hash, in any process. It reads no wall clock; callers
that want wall seconds measure around it.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from faults import FaultPlan, FaultSchedule
from omen import LedgerReader, LedgerWriteError, LedgerWriter, SignalEvent
from omen.ledger import LedgerCorruptionError
from scenarios.catalog import Scenario, ScenarioParams, get_scenario
from scenarios.exhaustive import check_all_crash_states
from scenarios.invariants import CHECKERS, CheckContext, Violation
from scenarios.invariants.delivery_checks import ACKNOWLEDGED
from scenarios.ledger_oracle import parse_ledger
from scenarios.workload import generate
from scenarios.world import INGEST_URL, LEDGER_ROOT, World, WorldConfig
from sim.disk import CrashStateLimitError
from sim.loop import DeadlockError, SimulationTimeLimit
from sim.rng import SeededStreams

SAFETY_TAIL_S = 5.0
VIOLATIONS_PER_INVARIANT_MAX = 10  # the first few prove the point; a flood hides the others


@dataclass
class RunResult:
    scenario: str
    seed: int
    params: ScenarioParams
    plan: FaultPlan
    schedule: FaultSchedule
    bug: str | None
    trace_hash: str
    violations: list[Violation]
    invariants: dict[str, dict[str, int]]
    faults: dict[str, int]
    signals: int
    sim_seconds: float
    trace_events: int
    world: Any = field(default=None, repr=False)

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


async def _concurrent_posts(world: World, count: int, at_s: float) -> None:
    """The audit's test: a new signal is written to the ledger, then POSTed `count` times at once
    before any of them could have been stored (OMEN's node does it, so a crash cancels it)."""
    await asyncio.sleep(at_s)
    writer, clock = world.writer, world.nodes["omen"].clock
    if writer is None or not world.nodes["omen"].alive:
        world.trace.record("source", "concurrent_posts.skipped", reason="omen down")
        return
    world.spawn("omen", _post_concurrently, world, writer, clock.now(), count, name="omen.concurrent_posts")


async def _post_concurrently(world: World, writer: LedgerWriter, now: datetime, count: int) -> None:
    event = SignalEvent.create(event_id="audit-concurrent-posts", input_event={"audit": "20 concurrent POSTs"},
                               ruleset_version="audit", category="audit", observed_at=now, emitted_at=now)
    try:
        written = writer.write(event)
    except LedgerWriteError as error:
        world.trace.record("omen", "concurrent_posts.skipped", reason=f"ledger write failed: {error}")
        return
    body = written.model_dump_json().encode()
    transport = world.network.transport(world.nodes["omen"])

    async def one() -> None:
        try:
            status, response = await transport.post(INGEST_URL, body, 5.0)
        except (TimeoutError, ConnectionError) as error:
            world.trace.record("omen", "concurrent_posts.error", signal_id=written.signal_id,
                               error=type(error).__name__)
            return
        world.trace.record("omen", "concurrent_posts.response", signal_id=written.signal_id, status=status,
                           ack_id=json.loads(response).get("ack_id"))

    await asyncio.gather(*(one() for _ in range(count)))


EXHAUSTIVE_POINTS_MAX = 40  # metadata steps checked exhaustively per run (every 2nd one, from the start)
EXHAUSTIVE_POINT_STRIDE = 2


def _check_every_crash_state_now(world: World, params: ScenarioParams, where: str) -> None:
    """Enumerate every state a power loss right now could leave; the writer must recover from each."""
    acknowledged = {
        event[4]["signal_id"]
        for event in world.trace.events
        if event[3] == "emit.result" and event[4].get("status") in ACKNOWLEDGED
    }
    with world.volume.faults_suspended():
        try:
            checked, findings = check_all_crash_states(
                world.disk, LEDGER_ROOT, acknowledged, now=world.nodes["omen"].clock.now(),
                states_max=params.exhaustive_crash_states_max,
            )
        except CrashStateLimitError as error:
            # the pending history is too long to enumerate here: another instant will be shorter
            world.trace.record("source", "exhaustive.skipped", where=where, reason=str(error))
            return
    index = world.trace.record("source", "exhaustive.checked", where=where, states=checked, findings=len(findings))
    for finding in findings[:5]:
        world.observations.crash_state_findings.append(
            (index, f"crash state {finding.state_index}/{finding.states_total} {where}: {finding.message}"))


class _MetadataCrashPoints:
    """Wraps the disk's fault hook: before each metadata step of rollover and seal (a replace, a
    directory or temp-file fsync), checks every crash state of the history so far, then lets the
    fault layer decide as usual. This is where the short, interesting histories are: the rest of
    the time everything the writer did is already durable."""

    def __init__(self, world: World, params: ScenarioParams, inner: object) -> None:
        self._world = world
        self._params = params
        self._inner = inner
        self.points_left = EXHAUSTIVE_POINTS_MAX
        self._steps_seen = 0

    def decide(self, op: str, path: str, nbytes: int) -> object:
        metadata_step = op == "replace" or (op == "fsync" and not path.endswith(".log"))
        if metadata_step:
            self._steps_seen += 1
        if (metadata_step and self._steps_seen % EXHAUSTIVE_POINT_STRIDE == 1 and self.points_left > 0
                and self._world.nodes["omen"].alive):
            self.points_left -= 1
            _check_every_crash_state_now(self._world, self._params, f"before {op} {path}")
        return self._inner.decide(op, path, nbytes) if self._inner is not None else None


async def _exhaustive_checks(world: World, params: ScenarioParams, times: int) -> None:
    """Also check at a few quiet instants, between writes."""
    interval_s = params.duration_s / (times + 1)
    for _ in range(times):
        await asyncio.sleep(interval_s)
        if world.nodes["omen"].alive and world.writer is not None:
            _check_every_crash_state_now(world, params, "between writes")


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
    world = World(config, resolved_plan, schedule=schedule)

    async def main() -> None:
        try:
            await phases()
        except Exception as error:  # noqa: BLE001 - the system raised into the harness: a finding
            index = world.trace.record("world", "task.error", error=f"{type(error).__name__}: {error}")
            world.observations.unexpected_errors.append((index, f"run: {type(error).__name__}: {error}"))

    async def phases() -> None:
        world.start()
        world.process_faults.start(params.duration_s)
        world.spawn("source", world.drive, planned, name="source.drive")
        if params.concurrent_duplicate_posts:
            world.spawn("source", _concurrent_posts, world, params.concurrent_duplicate_posts,
                        params.duration_s / 2, name="source.concurrent_posts")
        if params.exhaustive_crash_states_max:
            world.disk.fault_hook = _MetadataCrashPoints(world, params, world.disk.fault_hook)
            world.spawn("source", _exhaustive_checks, world, params, 4, name="source.exhaustive")
        last_s = planned[-1].at_s if planned else 0.0
        await asyncio.sleep(max(params.duration_s, last_s) + SAFETY_TAIL_S)
        await world.heal()
        await world.liveness()

    time_limit_s = params.duration_s + config.liveness_limit_s + 3600.0
    try:
        world.sim.run(main(), time_limit_s=time_limit_s)
    except DeadlockError as error:
        world.observations.deadlock = str(error)
    except SimulationTimeLimit as error:
        world.observations.deadlock = f"virtual time limit reached: {error}"
    context = _final_context(world)
    violations: list[Violation] = []
    invariants: dict[str, dict[str, int]] = {}
    for name, checker in CHECKERS.items():
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
        trace_hash=world.trace.hash(),
        violations=violations,
        invariants=invariants,
        faults=world.injector.counters_sorted(),
        signals=len(planned),
        sim_seconds=world.sim.now_s,
        trace_events=len(world.trace),
        world=world if keep_world else None,
    )
    world.sim.close()
    return result


def _final_context(world: World) -> CheckContext:
    with world.volume.faults_suspended():
        visible_files = world.disk.visible_files()
        durable_files = world.disk.durable_files()
        reader = LedgerReader(LEDGER_ROOT, fs=world.disk)
        reader_view: dict[str, list[str] | str] = {}
        try:
            partitions = reader.list_partitions()
        except OSError as error:
            partitions = []
            reader_view["<root>"] = f"{type(error).__name__}: {error}"
        for partition in partitions:
            try:
                reader_view[partition] = [record.event.signal_id for record in reader.read_partition(partition)]
            except (LedgerCorruptionError, OSError) as error:
                reader_view[partition] = f"{type(error).__name__}: {error}"
    final_visible = parse_ledger(visible_files, LEDGER_ROOT)
    for name in final_visible:
        prefix = f"{LEDGER_ROOT}/{name}/"
        world.observations.final_segment_hashes[name] = {
            path[len(prefix):]: hashlib.sha256(data).hexdigest()
            for path, data in visible_files.items()
            if path.startswith(prefix) and path.endswith(".log")
        }
    state = {
        row[0]: int(row[1] or 0)
        for row in world.conn.execute("SELECT partition, ledger_highwater FROM reconcile_state ORDER BY partition")
    }
    return CheckContext(
        events=world.trace.events,
        final_visible=final_visible,
        final_durable=parse_ledger(durable_files, LEDGER_ROOT),
        stored_rows=world.stored_rows(),
        reconcile_state=state,
        reader_view=reader_view,
        observations=world.observations,
        faults_fired=world.injector.counters_sorted(),
    )
