"""The simulated world: OMEN, RiskCast and the reconciler, wired on the sim kernel.

This is the wiring of a run and nothing more: the simulation, the disk, the network, the SQLite
database, the fault injectors, the observers, and one definition per node (`scenarios/nodes/`)
that the world starts, crashes and restarts by name. What happens in a run lives elsewhere:
drivers (`scenarios/drivers/`) make things happen, observers (`scenarios/observers/`) record
facts from files and rows, phases (`scenarios/phases/`) sequence them, and the runner
(`scenarios/runner.py`) hands the result to the checkers.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from faults import DiskFaultInjector, FaultInjector, FaultPlan, FaultSchedule, NetworkFaultInjector, ProcessFaults
from omen import LedgerWriter
from omen.emitter import SignalEmitter
from riskcast import InlineSqlRunner, ReconcileJob, init_schema
from scenarios.drivers.periodic import PeriodicJobs
from scenarios.nodes import NODE_DEFINITIONS, NODE_NAMES, NodeDefinition
from scenarios.observers import (
    DurableLedgerIndex,
    ManifestObserver,
    Observations,
    ReconcileStateObserver,
    SealObserver,
    SimDiskView,
    faults_suspended,
)
from scenarios.observers.requests import described_fields
from scenarios.observers.riskcast_rows import stored_rows
from scenarios.shared_volume import SharedVolume
from scenarios.trace_kinds import TRACE_FIELDS
from sim.crash import SimulatedCrash
from sim.disk import SimDisk
from sim.network import SimNetwork
from sim.node import Node
from sim.simulation import Simulation

LEDGER_ROOT = "/ledger"
RISKCAST_ADDRESS = "riskcast"
INGEST_PATH = "/api/v1/signals/ingest"
INGEST_URL = f"http://{RISKCAST_ADDRESS}{INGEST_PATH}"
SOURCE_NODE = "source"  # the upstream feed and the scenario's drivers run here; it never crashes


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


class World:
    ledger_root = LEDGER_ROOT
    riskcast_address = RISKCAST_ADDRESS
    ingest_path = INGEST_PATH
    ingest_url = INGEST_URL

    def __init__(self, config: WorldConfig, plan: FaultPlan, *, schedule: FaultSchedule | None = None) -> None:
        self.config = config
        self.plan = plan
        self.sim = Simulation(config.seed, epoch=config.epoch)
        self.trace = self.sim.trace
        self.trace.restrict(TRACE_FIELDS)  # before any component captures `record`
        self.nodes: dict[str, Node] = {name: self.sim.node(name) for name in (*NODE_NAMES, SOURCE_NODE)}
        self.disk = SimDisk(self.sim.rng.stream("disk"), self.trace.record, profile=config.disk_profile, node="omen")
        self.injector = FaultInjector(
            plan, self.sim.rng.stream("faults"), self.trace.record, lambda: self.sim.now_s, schedule=schedule
        )
        # no hook when no disk kind is on: it would answer None at every op, a Python frame each
        # (the same decisions: see `asks_anything`; a driver that wraps the hook takes None too)
        disk_hook = DiskFaultInjector(self.injector, "omen", disk=self.disk)
        self.disk.fault_hook = disk_hook if disk_hook.asks_anything else None
        self.network = SimNetwork(self.sim, rng=self.sim.rng.stream("network"), describe=self._describe_request)
        # no hook when no network kind is on: the hook would answer None to each of a request's two
        # questions, a Python frame each (the same decisions: see `asks_anything`)
        network_hook = NetworkFaultInjector(self.injector)
        self.network.fault_hook = network_hook if network_hook.asks_anything else None
        self.volume = SharedVolume(self.disk)
        self.conn = sqlite3.connect(":memory:")
        init_schema(self.conn)
        self._ids = self.sim.rng.stream("ids")
        self._sql_rng = self.sim.rng.stream("sql")
        self._sql_random = self._sql_rng.random
        self._restart_rng = self.sim.rng.stream("restart")
        # observers: they read files and rows, never the system's opinion of itself
        self.observations = Observations()
        self.ledger_files = SimDiskView(self.disk)
        self.durable_index = DurableLedgerIndex(SimDiskView(self.disk, durable=True), LEDGER_ROOT)
        self.seals = SealObserver(self.ledger_files, LEDGER_ROOT, self.trace.record, self.observations)
        # the durable index walks every frame at the push after its write: the manifest observer
        # starts its walks of the same bytes after what that walk found (bytes compared whole)
        self.manifests = ManifestObserver(self.ledger_files, LEDGER_ROOT, self.trace.record,
                                          walked=self.durable_index.parsed_frames)
        self.reconcile_state = ReconcileStateObserver(self.conn, self.ledger_files, LEDGER_ROOT, self.trace.record)
        self.periodic = PeriodicJobs(self)
        self.definitions: dict[str, NodeDefinition] = {name: factory() for name, factory in NODE_DEFINITIONS.items()}
        self._crash_listeners: dict[str, list[Callable[[], None]]] = {name: [] for name in NODE_NAMES}
        self._restart_pending: set[str] = set()
        self.process_faults = ProcessFaults(
            self.injector,
            self.sim,
            crash=self.crash,
            restart=self.restart,
            clocks={name: self.nodes[name].clock for name in NODE_NAMES},
        )

    def _describe_request(self, body: bytes) -> dict[str, Any]:
        """Trace fields for a request: the signal it carries, and whether that signal is durable now."""
        # `describe_body`'s dict, built here: both values are str or None (no `str()` needed)
        signal_id, partition = described_fields(body)
        if signal_id is not None and partition is not None:
            return {"signal_id": signal_id, "partition": partition,
                    "durable": self.durable_index_contains(partition, signal_id)}
        return {"signal_id": signal_id, "partition": partition}

    # ---- what the nodes' components hold now (None while the node is down) -------------------
    @property
    def writer(self) -> LedgerWriter | None:
        return getattr(self.definitions["omen"], "writer", None)

    @property
    def emitter(self) -> SignalEmitter | None:
        return getattr(self.definitions["omen"], "emitter", None)

    @property
    def reconcile_job(self) -> ReconcileJob | None:
        return getattr(self.definitions["reconciler"], "job", None)

    def stored_rows(self) -> list[tuple[Any, ...]]:
        return stored_rows(self.conn)

    def observe_manifests(self, partitions: list[str] | None = None) -> None:
        """Manifests that changed since the last look, beside their frames (read without faults)."""
        with faults_suspended(self.disk):
            self.manifests.observe(partitions)

    def durable_index_contains(self, partition: str, signal_id: str) -> bool:
        """Whether the signal is durable now in `partition` (the disk's fact, read without faults)."""
        answer = self.durable_index.known(partition, signal_id)  # no disk read: nothing to suspend
        if answer is not None:
            return answer
        return self._durable_read(partition, signal_id)

    def _durable_read(self, partition: str, signal_id: str) -> bool:
        """The durable index's answer from the disk, for a question `known` has just answered None."""
        # `faults_suspended(self.disk)`, inline: this is once per simulated signal (the push after
        # the write), and the context object cost three Python frames
        disk = self.disk
        hook, disk.fault_hook = disk.fault_hook, None
        try:
            return self.durable_index.read_and_answer(partition, signal_id)  # `known` was just asked
        finally:
            disk.fault_hook = hook

    def durable_anywhere(self, signal_id: str, day: str) -> bool:
        """Whether the signal is durable now in its day's main or late partition (the disk's fact)."""
        # main first, as before; each answer from the index's counts when no disk read is needed
        # (`durable_index_contains` twice, its steps here: asked at every emit, two frames less)
        known = self.durable_index.known
        answer = known(day, signal_id)
        if answer is None:
            answer = self._durable_read(day, signal_id)
        if answer:
            return True
        late = f"{day}-late"
        answer = known(late, signal_id)
        return self._durable_read(late, signal_id) if answer is None else answer

    # ---- ports the node definitions build on --------------------------------------------------
    def next_ack_id(self) -> str:
        # `f"ack-{bits:016x}"`: 64 bits are 8 bytes, whose hex is the same 16 zero-padded lowercase
        # digits, without parsing a format spec (about half the cost; once per stored signal)
        return "ack-" + self._ids.getrandbits(64).to_bytes(8, "big").hex()

    def _sql_latency(self) -> Coroutine[Any, Any, None]:
        # the sleep itself, not a coroutine around it: the runner awaits it at once, so the latency
        # is drawn at the same moment, with one coroutine frame less per SQL call. The draw is
        # `uniform(0.0, max)`'s own body, `a + (b - a) * random()` written out (one frame less)
        return self.sim.loop.sleep(0.0 + (self.config.sql_latency_s_max - 0.0) * self._sql_random())

    def sql_runner(self) -> InlineSqlRunner:
        return InlineSqlRunner(self.conn, latency=self._sql_latency)

    # ---- task guard: a SimulatedCrash inside any task is a power loss of its node -------------
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
        except asyncio.CancelledError:
            raise
        except (SimulatedCrash, Exception) as error:  # noqa: BLE001 - an escaped error is a finding
            self._failed(node_name, error, f"{node_name}: ")
            return None

    def _failed(self, node_name: str, error: BaseException, where: str) -> None:
        """A SimulatedCrash crashes its node (a power loss); any other error is a finding."""
        if isinstance(error, SimulatedCrash):
            self.trace.record(node_name, "crash.raised", target=error.node, reason=error.reason)
            self.crash(error.node, cause=error.reason)
        else:
            self.record_unexpected_error(node_name, f"{type(error).__name__}: {error}",
                                         f"{where}{type(error).__name__}: {error}")

    def record_unexpected_error(self, node_name: str, error: str, finding: str) -> int:
        """A "task.error" event, and the finding `recoverability` reports for it."""
        index = self.trace.record(node_name, "task.error", error=error)
        self.observations.unexpected_errors.append((index, finding))
        return index

    # ---- node lifecycle: the same steps for every node, its definition does the rest ----------
    def start(self) -> None:
        for name in NODE_NAMES:
            self.definitions[name].start(self)

    def on_crash(self, node_name: str, listener: Callable[[], None]) -> None:
        """Call `listener()` after each crash of the node (a driver drops its per-incarnation state)."""
        self._crash_listeners[node_name].append(listener)

    def crash(self, node_name: str, *, cause: str = "planned") -> None:
        node = self.nodes[node_name]
        if not node.alive:
            return
        self.trace.record(node_name, "node.crash", cause=cause, incarnation=node.incarnation)
        node.crash()
        for listener in self._crash_listeners[node_name]:
            listener()
        self.definitions[node_name].on_crash(self)
        if node_name not in self._restart_pending and cause != "planned":
            # a crash raised from inside a disk op: the process supervisor restarts it
            self._restart_pending.add(node_name)
            delay_s = self._restart_rng.uniform(self.config.restart_delay_s_min, self.config.restart_delay_s_max)
            self.sim.loop.call_later(delay_s, self.restart, node_name)
        assert not node.alive

    def restart(self, node_name: str) -> None:
        self._restart_pending.discard(node_name)
        node = self.nodes[node_name]
        if node.alive:
            return
        node.restart()
        self.trace.record(node_name, "node.restart", incarnation=node.incarnation)
        try:
            self.definitions[node_name].start(self)
        except (SimulatedCrash, Exception) as error:  # noqa: BLE001 - a node that cannot start is a finding
            # WHY here: a restart runs from a timer or a fault driver's task, where an exception
            # would end that task unseen ("Task exception was never retrieved") and leave the node
            # up with nothing running; recoverability must report it instead
            self._failed(node_name, error, f"{node_name} could not start again: ")
            return
        assert node.alive


__all__ = ["World", "WorldConfig", "Observations", "LEDGER_ROOT", "INGEST_URL", "SOURCE_NODE"]
