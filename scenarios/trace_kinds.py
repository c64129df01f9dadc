"""The catalogue of trace kinds a run records: each kind, who records it, its fields.

WHY a catalogue: a kind is a contract between the code that records it and the checkers that read
it. The world restricts its trace to this table (`Trace.restrict`), so an event of an unknown kind,
or with an undeclared field, fails the run at the line that recorded it; and `CheckContext.of_kind`
refuses a kind not listed here, so a checker's typo cannot silently match nothing. Fields are the
most an event carries; an event may leave optional ones out (see each description).

A new kind is a new entry here, next to the code that records it.
"""
from __future__ import annotations

from dataclasses import dataclass

from faults import FAULT_KINDS
from sim.errors import HarnessError


@dataclass(frozen=True)
class TraceKind:
    name: str
    recorded_by: str  # the module that records it
    fields: frozenset[str]
    description: str


def _kind(name: str, recorded_by: str, fields: str, description: str) -> TraceKind:
    return TraceKind(name, recorded_by, frozenset(fields.split()), description)


_FAULT_PARAMS = " ".join(sorted({param for info in FAULT_KINDS.values() for param in info.params}))

_CATALOGUE: tuple[TraceKind, ...] = (
    # the simulated disk (sim/disk)
    _kind("disk.op", "sim/disk/disk.py", "op path nbytes op_index", "one disk op (only when trace_ops is on)"),
    _kind("disk.fault", "sim/disk/disk.py",
          "op path fault op_index offset nbytes kept written pending_ops dropped_ops length bit_index",
          "a fault the disk applied to an op (fields depend on the fault)"),
    _kind("disk.capacity", "sim/disk/disk.py", "op path op_index nbytes written capacity_bytes",
          "a write met the disk's capacity"),
    _kind("disk.crash", "sim/disk/disk.py",
          "how profile op_index kept_entry_ops dropped_entry_ops data_ops lost_files torn files",
          "a power loss: which pending operations survived, which files were lost or torn"),
    # the simulated network (sim/network.py)
    _kind("net.send", "sim/network.py", "req src dst path signal_id partition durable",
          "a request left its sender (the world adds which signal it carries and whether it is durable)"),
    _kind("net.partition", "sim/network.py", "req a b until_s refuse", "a partition between two nodes began"),
    _kind("net.deliver", "sim/network.py", "req duplicate", "a request reached its handler (duplicate: the second copy)"),
    _kind("net.reply", "sim/network.py", "req status error", "the handler finished (error: it raised, answered 500)"),
    _kind("net.response", "sim/network.py", "req status", "the response reached the caller"),
    _kind("net.timeout", "sim/network.py", "req", "the caller timed out"),
    _kind("net.refused", "sim/network.py", "req", "the connection was refused"),
    _kind("net.reset", "sim/network.py", "req", "the connection broke after the request left"),
    # the faults layer (faults/)
    _kind("fault", "faults/injector.py", f"fault point occurrence {_FAULT_PARAMS}",
          "a fault fired at an injection point, with its drawn parameters"),
    _kind("faults.heal", "faults/heal.py", "counters", "every fault stopped; counters: how often each fired"),
    _kind("proc.restart", "faults/process_faults.py", "", "the process-fault driver restarts a node it crashed"),
    # the world's nodes (scenarios/world.py, scenarios/nodes/)
    _kind("node.crash", "scenarios/world.py", "cause incarnation", "a node crashed (cause: planned, or why it raised)"),
    _kind("node.restart", "scenarios/world.py", "incarnation", "a node restarted"),
    _kind("node.ready", "scenarios/nodes/", "incarnation", "a node's components are built"),
    _kind("crash.raised", "scenarios/world.py", "target reason", "a SimulatedCrash escaped a task: a power loss"),
    _kind("task.error", "scenarios/world.py", "error", "an unexpected error escaped a task (a recoverability finding)"),
    _kind("ingest.result", "scenarios/nodes/riskcast_node.py", "signal_id status ack_id", "RiskCast answered an ingest"),
    # drivers (scenarios/drivers/)
    _kind("emit.start", "scenarios/drivers/workload_driver.py", "signal_id emitted_at durable",
          "OMEN begins to emit a signal (durable: the signal is already durable from an earlier emit)"),
    _kind("emit.result", "scenarios/drivers/workload_driver.py", "signal_id status partition sequence ack_id durable",
          "what the emitter reported for one signal"),
    _kind("emit.dropped", "scenarios/drivers/workload_driver.py", "signal_index reason",
          "the source gave up on a signal (OMEN down too long, backlog full)"),
    _kind("seal.failed", "scenarios/drivers/periodic.py", "partition error", "a seal pass failed (partition None: listing)"),
    _kind("reconcile.result", "scenarios/drivers/periodic.py",
          "state_highwater scrub partition status reason replayed failed extra highwater revision",
          "one partition's reconcile outcome, with the highwater the database holds after the pass"),
    _kind("concurrent_posts.skipped", "scenarios/drivers/concurrent_posts.py", "reason", "the audit's burst did not run"),
    _kind("concurrent_posts.response", "scenarios/drivers/concurrent_posts.py", "signal_id status ack_id",
          "one POST of the burst was answered"),
    _kind("concurrent_posts.error", "scenarios/drivers/concurrent_posts.py", "signal_id error",
          "one POST of the burst failed"),
    _kind("exhaustive.checked", "scenarios/drivers/exhaustive_points.py", "where states findings",
          "every crash state at one instant was checked"),
    _kind("exhaustive.skipped", "scenarios/drivers/exhaustive_points.py", "where reason",
          "the pending history was too long to enumerate at this instant"),
    # observers (scenarios/observers/)
    _kind("ledger.manifest", "scenarios/observers/manifests.py",
          "partition sealed revision claimed_highwater claimed_records claimed_segments highwater records segments "
          "clean",
          "a manifest whose bytes changed, its claims beside the frames read off the disk (an open main "
          "day's: no segment lists, `clean` whether every segment is valid frames end to end)"),
    _kind("ledger.sealed", "scenarios/observers/seals.py", "partition segments",
          "a partition's manifest says sealed; segment name -> sha256 then"),
    _kind("ledger.recovered", "scenarios/observers/crash_snapshots.py", "records",
          "after a power loss: how many valid records survived"),
    _kind("reconcile.state", "scenarios/observers/reconcile_state.py", "partition highwater missing",
          "a reconcile-state row changed; missing: covered records RiskCast does not hold"),
    # phases (scenarios/phases/)
    _kind("converged", "scenarios/phases/liveness.py", "", "RiskCast holds every ledger record and a pass was quiet"),
    _kind("not_converged", "scenarios/phases/liveness.py", "missing", "liveness gave up; missing records at the last pass"),
)

TRACE_KINDS: dict[str, TraceKind] = {kind.name: kind for kind in _CATALOGUE}
assert len(TRACE_KINDS) == len(_CATALOGUE), "duplicate trace kind in the catalogue"

# the form `Trace.restrict` takes: kind -> the fields it may carry
TRACE_FIELDS: dict[str, frozenset[str]] = {kind.name: kind.fields for kind in _CATALOGUE}


class UnknownTraceKindError(HarnessError, KeyError):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind

    def __str__(self) -> str:
        return f"trace kind {self.kind!r} is not in scenarios/trace_kinds.py; known kinds: {', '.join(TRACE_KINDS)}"


def require_kind(kind: str) -> str:
    if kind not in TRACE_KINDS:
        raise UnknownTraceKindError(kind)
    return kind
