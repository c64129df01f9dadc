"""The catalogue of fault kinds: stable dotted names, the layer each hits, and its parameters.

WHY a catalogue: a plan, a recorded schedule, a repro file and a CI counter report all name faults
by these strings. Renaming one breaks every saved plan, so the names are a public contract, and a
plan that names a kind not listed here is refused (see `faults.plan`).

Each parameter has a range; the injector draws a value inside it (uniformly) each time the fault
fires, from the fault rng, so that the value lands in the recorded schedule and replays exactly.
A plan may set its own range, within the parameter's `limit`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Layer = Literal["disk", "net", "proc", "clock"]


@dataclass(frozen=True, slots=True)
class ParamRange:
    """Default inclusive range [lo, hi] of one fault parameter, and the wider `limit` a plan may use.

    `integer` makes the drawn value an int. `limit` defaults to (lo, hi).
    """

    lo: float
    hi: float
    integer: bool = False
    unit: str = ""
    limit: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        assert self.lo <= self.hi, f"bad catalogue range {self.lo}..{self.hi}"
        if self.limit is None:
            object.__setattr__(self, "limit", (self.lo, self.hi))
        assert self.limit is not None and self.limit[0] <= self.lo <= self.hi <= self.limit[1]


@dataclass(frozen=True, slots=True)
class FaultKindInfo:
    """What one fault kind does, and how it is driven.

    `driver` says where the "does it fire?" decision is made:
    - "op": at every matching operation (a disk op, a network request leg);
    - "tick": on the periodic fault tick of `ProcessFaults` (plan field `tick_s`).
    `swarm_probability` is the (lo, hi) range swarm mode draws an intensity from (log-uniform).
    """

    name: str
    layer: Layer
    description: str
    driver: Literal["op", "tick"]
    params: dict[str, ParamRange] = field(default_factory=dict)
    swarm_probability: tuple[float, float] = (0.001, 0.05)


# Names that a parameter must not take: they are fields of the "fault" trace event itself.
RESERVED_PARAM_NAMES = frozenset({"kind", "fault", "point", "occurrence", "node"})

_CATALOGUE: tuple[FaultKindInfo, ...] = (
    # disk: decided at the start of a disk op (DiskFaultInjector), except bitflip (see its text).
    FaultKindInfo(
        "disk.short_write", "disk",
        "a write stores only a prefix of its bytes and returns the short count",
        "op", {"keep_fraction": ParamRange(0.0, 0.999, unit="fraction of the write kept")},
        (0.001, 0.05),
    ),
    FaultKindInfo("disk.enospc", "disk", "a write fails with ENOSPC (disk full)", "op", {}, (0.001, 0.03)),
    FaultKindInfo("disk.write_eio", "disk", "a write fails with EIO", "op", {}, (0.001, 0.03)),
    FaultKindInfo("disk.read_eio", "disk", "a read or pread fails with EIO", "op", {}, (0.001, 0.03)),
    FaultKindInfo(
        "disk.fsync_eio", "disk",
        "fsync/fdatasync fails with EIO once; Linux semantics: the unsynced pages are lost at a crash",
        "op", {}, (0.001, 0.03),
    ),
    FaultKindInfo(
        "disk.fsync_lie", "disk", "fsync/fdatasync returns success but persists nothing", "op", {},
        (0.001, 0.03),
    ),
    FaultKindInfo(
        "disk.bitflip", "disk",
        "one bit of durable data at rest flips (bit rot); decided at the start of every disk op, "
        "applied to a durable file picked by the drawn fractions",
        "op",
        {
            "file_fraction": ParamRange(0.0, 0.999, unit="picks the file among durable files"),
            "bit_fraction": ParamRange(0.0, 0.999, unit="picks the bit within the file"),
        },
        (0.0001, 0.002),
    ),
    FaultKindInfo(
        "disk.lost_write", "disk",
        "a write is acknowledged in full and never stored (a lost write, as a drive's firmware or a "
        "misdirected write makes one): the file and the descriptor's offset stay as they were, so the "
        "next write lands where this one belonged",
        "op", {}, (0.002, 0.03),
    ),
    FaultKindInfo(
        "disk.duplicate_write", "disk",
        "a write is stored twice, back to back (a retried or replayed write applied twice); the count "
        "returned is that of one copy",
        "op", {}, (0.002, 0.03),
    ),
    FaultKindInfo(
        "disk.crash_at_op", "disk",
        "power loss at the start of a disk op: the op raises SimulatedCrash, the node and disk crash",
        "op", {}, (0.0005, 0.01),
    ),
    # network: decided per request leg (NetworkFaultInjector).
    FaultKindInfo(
        "net.drop_request", "net", "the request is lost: the handler never runs, the caller times out",
        "op", {}, (0.005, 0.1),
    ),
    FaultKindInfo(
        "net.drop_response", "net",
        "the response is lost: the handler ran to completion, the caller times out", "op", {},
        (0.005, 0.1),
    ),
    FaultKindInfo(
        "net.duplicate", "net", "the request is delivered twice; the second response is discarded",
        "op", {"extra_delay_s": ParamRange(0.0, 0.05, unit="s before the second delivery", limit=(0.0, 600.0))},
        (0.005, 0.1),
    ),
    FaultKindInfo(
        "net.delay_spike", "net", "one leg of a request takes extra latency (reorders requests)",
        "op", {"delay_s": ParamRange(0.01, 5.0, unit="s of extra latency", limit=(0.0, 3600.0))}, (0.005, 0.1),
    ),
    FaultKindInfo(
        "net.partition", "net",
        "requests between the two nodes are refused (mode 1) or dropped (mode 0), both ways, "
        "for duration_s",
        "op",
        {
            "duration_s": ParamRange(0.5, 30.0, unit="s", limit=(0.0, 86400.0)),
            "refuse": ParamRange(0, 1, integer=True, unit="1 = refused, 0 = dropped"),
        },
        (0.001, 0.02),
    ),
    FaultKindInfo(
        "net.refused", "net", "the connection is refused as if the destination were down", "op", {},
        (0.005, 0.1),
    ),
    FaultKindInfo(
        "net.reset", "net",
        "the connection breaks after the request left: the handler runs, the caller gets "
        "ConnectionResetError (a ConnectionError) instead of the response",
        "op", {}, (0.005, 0.1),
    ),
    FaultKindInfo(
        "net.http_5xx", "net", "the destination answers 503 overloaded without running the handler",
        "op", {}, (0.005, 0.1),
    ),
    # process: decided on the fault tick; each crash is followed by a restart after a drawn delay.
    FaultKindInfo(
        "proc.crash_omen", "proc", "the OMEN process crashes, then restarts after restart_after_s",
        "tick", {"restart_after_s": ParamRange(0.0, 10.0, unit="s", limit=(0.0, 86400.0))}, (0.002, 0.05),
    ),
    FaultKindInfo(
        "proc.crash_riskcast", "proc", "the RiskCast process crashes, then restarts after restart_after_s",
        "tick", {"restart_after_s": ParamRange(0.0, 10.0, unit="s", limit=(0.0, 86400.0))}, (0.002, 0.05),
    ),
    FaultKindInfo(
        "proc.crash_reconciler", "proc", "the reconcile job crashes, then restarts after restart_after_s",
        "tick", {"restart_after_s": ParamRange(0.0, 10.0, unit="s", limit=(0.0, 86400.0))}, (0.002, 0.05),
    ),
    # clock: decided on the fault tick, per node clock.
    FaultKindInfo(
        "clock.skew", "clock", "a node's clock starts to run fast or slow by the drawn rate",
        "tick", {"rate": ParamRange(0.9, 1.1, unit="clock seconds per true second", limit=(0.01, 100.0))}, (0.002, 0.02),
    ),
    FaultKindInfo(
        "clock.jump", "clock", "a node's clock jumps by delta_s, backwards when negative",
        "tick", {"delta_s": ParamRange(-3600.0, 3600.0, unit="s", limit=(-7 * 86400.0, 7 * 86400.0))}, (0.002, 0.02),
    ),
)

FAULT_KINDS: dict[str, FaultKindInfo] = {info.name: info for info in _CATALOGUE}

assert len(FAULT_KINDS) == len(_CATALOGUE), "duplicate fault kind name in the catalogue"
for _info in _CATALOGUE:
    assert _info.name.split(".")[0] == _info.layer, f"{_info.name}: name must start with its layer"
    assert not (set(_info.params) & RESERVED_PARAM_NAMES), f"{_info.name}: reserved parameter name"
    assert 0.0 <= _info.swarm_probability[0] <= _info.swarm_probability[1] <= 1.0, _info.name


def kinds_of_layer(layer: Layer) -> list[str]:
    """The kind names of one layer, in catalogue order (stable)."""
    return [info.name for info in _CATALOGUE if info.layer == layer]
