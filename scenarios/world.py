"""The simulated world: OMEN, RiskCast and the reconciler, wired on the sim kernel.

This is the composition root of a run. It builds the system's real components on
simulated ports (disk, network, clock, SQLite runner, id source), drives crash and
restart through the system's own recovery code, and records what the checkers need
in the trace. It records facts it observes itself (what is durable on the disk, which
rows are committed) and never the system's opinion of itself.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from faults import DiskFaultInjector, FaultInjector, FaultPlan, FaultSchedule, NetworkFaultInjector, ProcessFaults
from omen import LedgerReader, LedgerWriteError, LedgerWriter, SignalEvent
from omen.emitter import BackpressureController, SignalEmitter
from omen.ledger.group_commit import GroupCommitter
from riskcast import (
    IngestHandler,
    InlineSqlRunner,
    ReconcileJob,
    ReconcileStateStore,
    SignalStore,
    init_schema,
    run_reconcile_job,
)
from scenarios.durability import DurableLedgerIndex
from scenarios.ledger_oracle import valid_frame_index
from scenarios.shared_volume import SharedVolume
from scenarios.workload import PlannedSignal
from sim.crash import SimulatedCrash
from sim.disk import SimDisk
from sim.network import SimNetwork
from sim.node import Node
from sim.simulation import Simulation

LEDGER_ROOT = "/ledger"
RISKCAST_ADDRESS = "riskcast"
INGEST_PATH = "/api/v1/signals/ingest"
INGEST_URL = f"http://{RISKCAST_ADDRESS}{INGEST_PATH}"
NODE_NAMES = ("omen", "riskcast", "reconciler")


@dataclass(frozen=True)
class WorldConfig:
    """Everything about the world that is not the workload or the fault plan."""

    seed: int
    epoch: datetime = datetime(2026, 1, 1, 23, 50, tzinfo=timezone.utc)
    disk_profile: str = "posix"
    segment_max_bytes: int = 64 * 1024
    segment_max_records: int = 64
    seal_grace_s: float = 120.0
    seal_interval_s: float = 30.0
    reconcile_interval_s: float = 20.0
    push_timeout_s: float = 1.0
    replay_timeout_s: float = 1.0
    sql_latency_s_max: float = 0.002
    restart_delay_s_min: float = 0.5
    restart_delay_s_max: float = 5.0
    emits_in_flight_max: int = 256
    group_commit_max_batch: int = 0  # 0: one fsync per record; N: concurrent writes share fsyncs
    store_commit_rows_max: int = 1  # RiskCast's store: 1 commit per signal; N: concurrent ingests share one
    backlog_max: int = 100_000
    backlog_retry_s: float = 0.5
    backlog_retries_max: int = 2_000
    liveness_limit_s: float = 3 * 24 * 3600.0
    reconcile_passes_max: int = 200
    stalled_passes_max: int = 12  # liveness gives up after this many passes without progress
    scrub_every_passes: int = 5  # every 5th periodic reconcile pass re-reads up-to-date partitions


@dataclass
class Observations:
    """Facts gathered during the run that are not in the trace's event stream."""

    # (trace index, recovered (partition, sequence) -> first signal_id there, recovered signal ids,
    #  signal ids RiskCast held at the crash)
    crash_snapshots: list[tuple[int, dict[tuple[str, int], str], set[str], set[str]]] = field(default_factory=list)
    final_segment_hashes: dict[str, dict[str, str]] = field(default_factory=dict)
    sealed_segments: dict[str, dict[str, str]] = field(default_factory=dict)
    sealed_at_index: dict[str, int] = field(default_factory=dict)
    converged: bool = False
    deadlock: str | None = None
    unexpected_errors: list[tuple[int, str]] = field(default_factory=list)
    # exhaustive mode: (trace index, what recovery got wrong in one enumerated crash state)
    crash_state_findings: list[tuple[int, str]] = field(default_factory=list)


def _string_field(body: bytes, key: bytes) -> str | None:
    """The string value of `"key": "..."` in a JSON body, found without parsing the whole document
    (whitespace around the colon allowed, as any JSON encoder may emit it)."""
    start = body.find(b'"' + key + b'"')
    if start < 0:
        return None
    position = start + len(key) + 2
    for expected in (b":", b'"'):
        while position < len(body) and body[position:position + 1] in (b" ", b"\t", b"\n", b"\r"):
            position += 1
        if body[position:position + 1] != expected:
            return None
        position += 1
    end = body.find(b'"', position)
    return body[position:end].decode("utf-8", "replace") if end >= position else None


def describe_body(body: bytes) -> dict[str, Any]:
    """Trace fields for a request body: which signal it carried (if any), and into which partition.

    Asked at every request, so it reads the two string fields directly; a body without them
    (malformed, or not a signal) is described as carrying no signal.
    """
    return {"signal_id": _string_field(body, b"signal_id"),
            "partition": _string_field(body, b"ledger_partition")}


class World:
    def __init__(self, config: WorldConfig, plan: FaultPlan, *, schedule: FaultSchedule | None = None) -> None:
        self.config = config
        self.plan = plan
        self.sim = Simulation(config.seed, epoch=config.epoch)
        self.trace = self.sim.trace
        self.nodes: dict[str, Node] = {name: self.sim.node(name) for name in (*NODE_NAMES, "source")}
        self.disk = SimDisk(self.sim.rng.stream("disk"), self.trace.record, profile=config.disk_profile, node="omen")
        self.injector = FaultInjector(
            plan, self.sim.rng.stream("faults"), self.trace.record, lambda: self.sim.now_s, schedule=schedule
        )
        self.disk.fault_hook = DiskFaultInjector(self.injector, "omen", disk=self.disk)
        self.durable_index = DurableLedgerIndex(self.disk, LEDGER_ROOT)
        self.network = SimNetwork(self.sim, rng=self.sim.rng.stream("network"), describe=self._describe_request)
        self.network.fault_hook = NetworkFaultInjector(self.injector)
        self.volume = SharedVolume(self.disk)
        self.conn = sqlite3.connect(":memory:")
        init_schema(self.conn)
        self._ids = self.sim.rng.stream("ids")
        self._sql_rng = self.sim.rng.stream("sql")
        self._restart_rng = self.sim.rng.stream("restart")
        self.observations = Observations()
        self.writer: LedgerWriter | None = None
        self.emitter: SignalEmitter | None = None
        self.reconcile_job: ReconcileJob | None = None
        self._emits_in_flight = 0
        self._periodic_enabled = True
        self._restart_pending: set[str] = set()
        self._state_seen: dict[str, tuple[Any, Any]] = {}
        self.process_faults = ProcessFaults(
            self.injector,
            self.sim,
            crash=self.crash,
            restart=self.restart,
            clocks={name: self.nodes[name].clock for name in NODE_NAMES},
        )

    def _describe_request(self, body: bytes) -> dict[str, Any]:
        """Trace fields for a request: the signal it carries, and whether that signal is durable now."""
        fields = describe_body(body)
        signal_id, partition = fields.get("signal_id"), fields.get("partition")
        if signal_id is not None and partition is not None:
            with self.volume.faults_suspended():
                fields["durable"] = self.durable_index.contains(str(partition), str(signal_id))
        return fields

    # ---- ports -----------------------------------------------------------------
    def _next_ack_id(self) -> str:
        return f"ack-{self._ids.getrandbits(64):016x}"

    async def _sql_latency(self) -> None:
        await asyncio.sleep(self._sql_rng.uniform(0.0, self.config.sql_latency_s_max))

    def _sql_runner(self) -> InlineSqlRunner:
        return InlineSqlRunner(self.conn, latency=self._sql_latency)

    # ---- task guard: a SimulatedCrash inside any task is a power loss of its node
    def spawn(self, node_name: str, work: Callable[..., Coroutine[Any, Any, Any]], *args: Any,
              name: str) -> asyncio.Task | None:
        """Run `work(*args)` as a task of the node; the coroutine is created inside the task, so a
        task cancelled before its first step leaves no coroutine behind un-awaited."""
        node = self.nodes[node_name]
        if not node.alive:
            return None
        return node.spawn(self._guarded(node_name, work, args), name=name)

    async def _guarded(self, node_name: str, work: Callable[..., Coroutine[Any, Any, Any]],
                       args: tuple[Any, ...]) -> Any:
        try:
            return await work(*args)
        except SimulatedCrash as crash:
            self.trace.record(node_name, "crash.raised", target=crash.node, reason=crash.reason)
            self.crash(crash.node, cause=crash.reason)
            return None
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - an escaped error is a finding, recorded for recoverability
            index = self.trace.record(node_name, "task.error", error=f"{type(error).__name__}: {error}")
            self.observations.unexpected_errors.append((index, f"{node_name}: {type(error).__name__}: {error}"))
            return None

    # ---- building nodes from what is durable ------------------------------------
    def _build_omen(self) -> None:
        node = self.nodes["omen"]
        # opening does no I/O: the writer recovers each partition on its first write to it
        self.writer = LedgerWriter(
            LEDGER_ROOT,
            fs=self.disk,
            clock=node.clock,
            segment_max_bytes=self.config.segment_max_bytes,
            segment_max_records=self.config.segment_max_records,
        )
        ledger: Any = self.writer
        if self.config.group_commit_max_batch:
            ledger = GroupCommitter(self.writer, max_batch=self.config.group_commit_max_batch)
        self.emitter = SignalEmitter(
            ledger,
            self.network.transport(node),
            INGEST_URL,
            backpressure=BackpressureController(),
            push_timeout_s=self.config.push_timeout_s,
        )
        self.trace.record("omen", "node.ready", incarnation=node.incarnation)

    async def _start_omen(self) -> None:
        self._build_omen()
        self.spawn("omen", self._sealer_loop, name="omen.sealer")

    def _build_riskcast(self) -> None:
        node = self.nodes["riskcast"]
        store = SignalStore(self._sql_runner(), clock=node.clock, ack_ids=self._next_ack_id,
                            commit_rows_max=self.config.store_commit_rows_max)
        handler = IngestHandler(store)

        async def route(path: str, body: bytes) -> tuple[int, bytes]:
            if path != INGEST_PATH:
                return 404, b'{"error":"not found"}'
            status, document = await handler.handle(body)
            fields = describe_body(body)
            self.trace.record(
                "riskcast",
                "ingest.result",
                signal_id=fields["signal_id"],
                status=status,
                ack_id=document.get("ack_id"),
            )
            return status, json.dumps(document, sort_keys=True).encode()

        self.network.register(RISKCAST_ADDRESS, node, route)
        self.trace.record("riskcast", "node.ready", incarnation=node.incarnation)

    def _build_reconciler(self) -> None:
        node = self.nodes["reconciler"]
        runner = self._sql_runner()
        self.reconcile_job = ReconcileJob(
            LedgerReader(LEDGER_ROOT, fs=self.volume),
            SignalStore(runner, clock=node.clock, ack_ids=self._next_ack_id),
            ReconcileStateStore(runner),
            self.network.transport(node),
            INGEST_URL,
            replay_timeout_s=self.config.replay_timeout_s,
        )
        self.spawn("reconciler", self._reconcile_loop, name="reconciler.loop")

    # ---- periodic work -------------------------------------------------------------
    async def _sealer_loop(self) -> None:
        passes_max = int(self.config.liveness_limit_s / self.config.seal_interval_s) + 10_000
        for _ in range(passes_max):
            await asyncio.sleep(self.config.seal_interval_s)
            if self._periodic_enabled:
                self.guarded_seal_pass()

    def guarded_seal_pass(self) -> None:
        """A seal pass whose unexpected failure is recorded as a finding, not a harness crash."""
        try:
            self.seal_pass()
        except SimulatedCrash as crash:
            self.trace.record("omen", "crash.raised", target=crash.node, reason=crash.reason)
            self.crash(crash.node, cause=crash.reason)
        except Exception as error:  # noqa: BLE001 - recorded for the recoverability checker
            index = self.trace.record("omen", "task.error", error=f"seal: {type(error).__name__}: {error}")
            self.observations.unexpected_errors.append((index, f"seal: {type(error).__name__}: {error}"))

    def seal_pass(self) -> None:
        writer = self.writer
        if writer is None:
            return
        node = self.nodes["omen"]
        grace = timedelta(seconds=self.config.seal_grace_s)
        try:
            due = writer.get_partitions_to_seal(node.clock.now(), grace)
        except LedgerWriteError as error:
            self.trace.record("omen", "seal.failed", partition=None, error=str(error))
            return
        for partition in due:
            try:
                writer.seal_partition(partition)
            except LedgerWriteError as error:
                self.trace.record("omen", "seal.failed", partition=partition, error=str(error))
                if self._manifest_says_sealed(partition):
                    # the sealed manifest is in place (readers see it) though a later step failed
                    self._observe_seal(partition)
                continue
            self._observe_seal(partition)

    def _observe_visible_seals(self) -> None:
        """Record seals that became visible without seal_partition returning (a crash inside it)."""
        for name in self._listdir_quietly(LEDGER_ROOT):
            if (not name.endswith("-late") and name not in self.observations.sealed_at_index
                    and self._manifest_says_sealed(name)):
                self._observe_seal(name)

    def _manifest_says_sealed(self, partition: str) -> bool:
        data = self.disk.visible_bytes(f"{LEDGER_ROOT}/{partition}/_manifest.json")
        try:
            return bool(data) and json.loads(data).get("sealed") is True
        except ValueError:
            return False

    def _observe_seal(self, partition: str) -> None:
        if partition in self.observations.sealed_at_index:
            return  # sealed once; a later pass finding it sealed changes nothing
        segments = {name: hashlib.sha256(data).hexdigest() for name, data in self._segments(partition).items()}
        index = self.trace.record("omen", "ledger.sealed", partition=partition, segments=segments)
        self.observations.sealed_segments[partition] = segments
        self.observations.sealed_at_index[partition] = index

    async def _reconcile_loop(self) -> None:
        passes_max = int(self.config.liveness_limit_s / self.config.reconcile_interval_s) + 10_000
        for number in range(1, passes_max + 1):
            await asyncio.sleep(self.config.reconcile_interval_s)
            if self._periodic_enabled:
                await self.reconcile_pass(scrub=number % self.config.scrub_every_passes == 0)

    async def reconcile_pass(self, *, scrub: bool = False) -> list[Any]:
        job = self.reconcile_job
        if job is None:
            return []
        self._observe_visible_seals()
        results = await run_reconcile_job(job, scrub=True) if scrub else await run_reconcile_job(job)
        # the state as the database holds it after the pass: the checkers' evidence, not the job's word
        state_highwater = dict(self.conn.execute("SELECT partition, ledger_highwater FROM reconcile_state"))
        for result in results:
            self.trace.record(
                "reconciler",
                "reconcile.result",
                state_highwater=state_highwater.get(result.partition),
                scrub=scrub,
                partition=result.partition,
                status=result.status,
                reason=result.reason,
                replayed=list(result.replayed_ids),
                failed=list(result.failed_ids),
                extra=list(result.extra_ids),
                highwater=result.highwater,
                revision=result.revision,
            )
        self._observe_reconcile_state()
        return results

    def _observe_reconcile_state(self) -> None:
        """Record, from the database itself, which partitions the state claims are covered.

        Only rows that changed since the last look are checked, each against its partition's
        visible records read straight off the disk (not through the system's reader).
        """
        rows = self.conn.execute(
            "SELECT partition, ledger_highwater, reconciled_at FROM reconcile_state ORDER BY partition"
        ).fetchall()
        changed = [(p, h) for p, h, at in rows if h is not None and self._state_seen.get(p) != (h, at)]
        self._state_seen.update({p: (h, at) for p, h, at in rows})
        if not changed:
            return
        stored = {row[0] for row in self.conn.execute("SELECT signal_id FROM signals")}
        for partition, highwater in changed:
            records = self._visible_partition_records(partition)
            covered = {signal_id for signal_id, sequence in records if sequence <= int(highwater)}
            missing = sorted(covered - stored)
            self.trace.record(
                "reconciler", "reconcile.state", partition=partition, highwater=int(highwater), missing=missing
            )

    # ---- reading the disk as an observer: no fault decisions consumed, nothing trusted ----------
    def _listdir_quietly(self, path: str) -> list[str]:
        with self.volume.faults_suspended():
            try:
                return self.disk.listdir(path)
            except OSError:
                return []

    def _segments(self, partition: str) -> dict[str, bytes]:
        """Segment name -> the bytes reads see now, in name order."""
        directory = f"{LEDGER_ROOT}/{partition}"
        return {
            name: self.disk.visible_bytes(f"{directory}/{name}") or b""
            for name in self._listdir_quietly(directory)
            if name.startswith("segment-") and name.endswith(".log")
        }

    def _visible_partition_records(self, partition: str) -> list[tuple[str, int]]:
        """(signal_id, sequence) of the partition's CRC-valid records, read straight off the disk."""
        return [record for data in self._segments(partition).values() for record in valid_frame_index(data)[0]]

    # ---- the workload ----------------------------------------------------------------
    async def drive(self, planned: list[PlannedSignal]) -> None:
        """The upstream source: hands each signal to OMEN at its time. While OMEN is down it keeps
        a bounded backlog and hands the signals over once OMEN is back, as a real feed redelivers."""
        backlog: list[PlannedSignal] = []
        for item in planned:
            delay_s = item.at_s - self.sim.now_s
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            backlog.append(item)
            backlog = self._hand_over(backlog)
        for _ in range(self.config.backlog_retries_max):
            if not backlog:
                return
            await asyncio.sleep(self.config.backlog_retry_s)
            backlog = self._hand_over(backlog)
        for item in backlog:
            self.trace.record("source", "emit.dropped", signal_index=item.index, reason="omen_down_too_long")

    def _hand_over(self, backlog: list[PlannedSignal]) -> list[PlannedSignal]:
        """Start an emit for each backlog item OMEN can take now; return what is left."""
        if self.emitter is None or not self.nodes["omen"].alive:
            if len(backlog) > self.config.backlog_max:
                dropped, backlog = backlog[0], backlog[1:]
                self.trace.record("source", "emit.dropped", signal_index=dropped.index, reason="backlog_full")
            return backlog
        left: list[PlannedSignal] = []
        for item in backlog:
            if self._emits_in_flight >= self.config.emits_in_flight_max:
                left.append(item)
                continue
            self._emits_in_flight += 1
            if self.spawn("omen", self._emit_one, item, name=f"emit-{item.index}") is None:
                self._emits_in_flight -= 1
                left.append(item)
        return left

    async def _emit_one(self, item: PlannedSignal) -> None:
        try:
            emitter = self.emitter
            assert emitter is not None
            clock = self.nodes["omen"].clock
            event: SignalEvent = item.build(clock.now())
            self.trace.record("omen", "emit.start", signal_id=event.signal_id, emitted_at=event.emitted_at.isoformat())
            result = await emitter.emit(event)
            self.trace.record(
                "omen",
                "emit.result",
                signal_id=result.signal_id,
                status=str(result.status.value),
                partition=result.ledger_partition,
                sequence=result.ledger_sequence,
                ack_id=result.ack_id,
            )
        finally:
            self._emits_in_flight -= 1

    # ---- crash and restart ---------------------------------------------------------------
    def crash(self, node_name: str, *, cause: str = "planned") -> None:
        node = self.nodes[node_name]
        if not node.alive:
            return
        self.trace.record(node_name, "node.crash", cause=cause, incarnation=node.incarnation)
        node.crash()
        if node_name == "omen":
            self.writer = None
            self.emitter = None
            self._emits_in_flight = 0
            self.disk.crash()
            self.durable_index.forget()
            self._snapshot_durable_ledger()
            self._observe_visible_seals()
        elif node_name == "riskcast":
            if self.conn.in_transaction:
                self.conn.rollback()
        elif node_name == "reconciler":
            self.reconcile_job = None
            if self.conn.in_transaction:
                self.conn.rollback()
        if node_name not in self._restart_pending and cause != "planned":
            # a crash raised from inside a disk op: the process supervisor restarts it
            self._restart_pending.add(node_name)
            delay_s = self._restart_rng.uniform(self.config.restart_delay_s_min, self.config.restart_delay_s_max)
            self.sim.loop.call_later(delay_s, self.restart, node_name)

    def restart(self, node_name: str) -> None:
        self._restart_pending.discard(node_name)
        node = self.nodes[node_name]
        if node.alive:
            return
        node.restart()
        self.trace.record(node_name, "node.restart", incarnation=node.incarnation)
        if node_name == "omen":
            self.spawn("omen", self._start_omen, name="omen.start")
        elif node_name == "riskcast":
            self._build_riskcast()
        elif node_name == "reconciler":
            self._build_reconciler()

    def _snapshot_durable_ledger(self) -> None:
        """Right after the crash was applied, what reads see is what survived."""
        placed: dict[tuple[str, int], str] = {}
        recovered_ids: set[str] = set()
        records = 0
        for partition in self._listdir_quietly(LEDGER_ROOT):
            for signal_id, sequence in self._visible_partition_records(partition):
                placed.setdefault((partition, sequence), signal_id)
                recovered_ids.add(signal_id)
                records += 1
        stored = {row[0] for row in self.conn.execute("SELECT signal_id FROM signals")}
        index = self.trace.record("omen", "ledger.recovered", records=records)
        self.observations.crash_snapshots.append((index, placed, recovered_ids, stored))

    # ---- phases ----------------------------------------------------------------------------
    def start(self) -> None:
        self.spawn("omen", self._start_omen, name="omen.start")
        self._build_riskcast()
        self._build_reconciler()

    async def heal(self) -> None:
        self.injector.heal()
        self.process_faults.heal()
        self.network.heal()
        self.trace.record("world", "heal")
        for name in NODE_NAMES:
            if not self.nodes[name].alive:
                self.restart(name)
        # give restarted nodes time to recover before the liveness phase
        await asyncio.sleep(self.config.restart_delay_s_max)

    async def liveness(self) -> bool:
        """Seal what is sealable, then reconcile until RiskCast holds every ledger record and a
        whole reconcile pass finds nothing to do (quiescent)."""
        self._periodic_enabled = False
        omen_clock = self.nodes["omen"].clock
        seal_after = self._last_ledger_day_end() + timedelta(seconds=self.config.seal_grace_s + 1)
        for _ in range(1000):
            remaining_s = (seal_after - omen_clock.now()).total_seconds()
            if remaining_s <= 0:
                break
            await asyncio.sleep(min(remaining_s / max(omen_clock.rate, 1e-3), 3600.0))
        stalled_passes = 0
        missing_before: int | None = None
        scrubbed = False
        for _ in range(self.config.reconcile_passes_max):
            if self.writer is None:
                await asyncio.sleep(self.config.restart_delay_s_max)
                continue
            self.guarded_seal_pass()
            # the first pass after the heal scrubs: damage done under faults gets read and reported
            results = await self.reconcile_pass(scrub=not scrubbed)
            scrubbed = True
            missing = self._missing_count()
            quiescent = all(result.status == "up_to_date" for result in results)
            if missing == 0 and quiescent:
                self.observations.converged = True
                self.trace.record("world", "converged")
                return True
            stalled_passes = stalled_passes + 1 if missing_before is not None and missing >= missing_before else 0
            missing_before = missing
            if stalled_passes >= self.config.stalled_passes_max:
                break
            await asyncio.sleep(self.config.reconcile_interval_s)
        self.trace.record("world", "not_converged", missing=missing_before)
        return False

    def _last_ledger_day_end(self) -> datetime:
        latest = self.nodes["omen"].clock.now()
        for partition in self._listdir_quietly(LEDGER_ROOT):
            try:
                day = datetime.fromisoformat(partition[:10]).replace(tzinfo=timezone.utc) + timedelta(days=1)
            except ValueError:
                continue  # not a partition directory
            latest = max(latest, day)
        return latest

    def _missing_count(self) -> int:
        """Ledger records RiskCast does not hold yet (0 = converged)."""
        ledger_ids = {
            signal_id
            for name in self._listdir_quietly(LEDGER_ROOT)
            for signal_id, _ in self._visible_partition_records(name)
        }
        stored = {row[0] for row in self.conn.execute("SELECT signal_id FROM signals")}
        return len(ledger_ids - stored)

    def stored_rows(self) -> list[tuple[Any, ...]]:
        return self.conn.execute(
            "SELECT signal_id, ack_id, ledger_partition, ledger_sequence, emitted_at, received_at "
            "FROM signals ORDER BY signal_id"
        ).fetchall()


__all__ = ["World", "WorldConfig", "Observations", "LEDGER_ROOT", "INGEST_URL"]

