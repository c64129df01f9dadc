"""Hypothesis strategies for the test bed: workloads, fault plans and explicit fault schedules.

WHY public strategies: a user fuzzes their own scenario the way Hypothesis users fuzz data, and
gets Hypothesis' shrinking for free: a failing plan shrinks towards fewer kinds, lower
probabilities and no windows, a failing workload towards fewer and plainer signals. Every value
is valid by construction (names and parameter ranges come from `faults.kinds.FAULT_KINDS`), so a
test never spends examples on plans pydantic would refuse.

Example, in a user's own test file:

    from hypothesis import given, settings
    from scenarios.runner import run
    from scenarios.strategies import fault_plans, workloads

    @settings(max_examples=20, deadline=None)
    @given(plan=fault_plans(kinds=["disk.crash_at_op", "proc.crash_omen"]),
           workload=workloads(signal_count_max=60))
    def test_no_crash_loses_an_acknowledged_signal(plan, workload):
        result = run("ledger_crash_tail", 0, plan=plan,
                     overrides={"workload": workload.model_dump()})
        assert result.ok, [v.message for v in result.violations]

`fault_schedules()` draws explicit schedules (what fires, where, with which parameters) for
replay-mode runs: `run(name, seed, plan=FaultPlan(), schedule=schedule)`.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from hypothesis import strategies as st

from faults import CRASH_KIND_BY_NODE, FAULT_KINDS, ClockSpec, CrashSpec, FaultPlan, FaultSchedule, FaultSpec, ScheduleEntry
from faults.disk_faults import POINTS_BY_KIND as DISK_POINTS_BY_KIND
from scenarios.workload import WorkloadSpec

__all__ = ["fault_plans", "fault_schedules", "fault_specs", "workloads"]

SIGNAL_COUNT_MAX_DEFAULT = 200
PLAN_DURATION_S_DEFAULT = 120.0
SCHEDULE_ENTRIES_MAX_DEFAULT = 8
OCCURRENCE_MAX_DEFAULT = 200
CRASHABLE_NODES = tuple(CRASH_KIND_BY_NODE)
CLOCK_NODES = CRASHABLE_NODES  # every crashable process has its own clock

# Where the injector decides each kind: the disk's points come from the disk fault layer's own
# table (faults/disk_faults.py); the network's legs are named here (faults/net_faults.py).
_POINTS_BY_KIND: dict[str, tuple[str, ...]] = {
    **DISK_POINTS_BY_KIND,
    "net.drop_response": ("net.response",),
    "net.delay_spike": ("net.request", "net.response"),
}
_REQUEST_SENDERS = ("omen", "reconciler")  # a request leg is decided on its sender ...
_RESPONDERS = ("riskcast",)  # ... a response leg on the node that answers


def _points_for(kind: str) -> tuple[str, ...]:
    if kind in _POINTS_BY_KIND:
        return _POINTS_BY_KIND[kind]
    layer = FAULT_KINDS[kind].layer
    return {"net": ("net.request",), "proc": ("proc.tick",), "clock": ("clock.tick",)}[layer]

def _require_kinds(kinds: Iterable[str] | None) -> list[str]:
    names = list(FAULT_KINDS) if kinds is None else list(dict.fromkeys(kinds))
    unknown = [name for name in names if name not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; known kinds: {', '.join(sorted(FAULT_KINDS))}")
    if not names:
        raise ValueError("kinds is empty: pass None for every kind, or name at least one")
    return names


def workloads(*, signal_count_max: int = SIGNAL_COUNT_MAX_DEFAULT, late: bool = True) -> st.SearchStrategy[WorkloadSpec]:
    """WorkloadSpec values: counts, rates, bursts, re-emits and (when `late`) late arrivals.

    Shrinks towards one plain signal: no bursts, no re-emits, nothing late.
    """
    if not 1 <= signal_count_max <= 2_000_000:
        raise ValueError(f"signal_count_max must be in 1..2000000, got {signal_count_max}")
    late_fraction = st.floats(0.0, 0.5) if late else st.just(0.0)
    return st.builds(
        WorkloadSpec,
        signal_count=st.integers(1, signal_count_max),
        rate_per_s=st.floats(0.2, 50.0),
        burst_probability=st.floats(0.0, 0.3),
        burst_size_max=st.integers(1, 30),
        reemit_fraction=st.floats(0.0, 0.3),
        late_fraction=late_fraction,
        late_lag_s_max=st.floats(1.0, 6 * 3600.0),
    )


@st.composite
def fault_specs(draw: st.DrawFn, kind: str, *, duration_s: float = PLAN_DURATION_S_DEFAULT) -> FaultSpec:
    """One FaultSpec for `kind`: a probability in the kind's swarm range (or 0..1), maybe a window,
    maybe narrowed parameter ranges inside the kind's limits."""
    info = FAULT_KINDS[kind]
    lo, hi = info.swarm_probability
    probability = draw(st.one_of(st.floats(lo, hi), st.floats(0.0, 1.0)))
    window = None
    if draw(st.booleans()):
        start_s = draw(st.floats(0.0, duration_s))
        window = (start_s, draw(st.floats(start_s, duration_s)))
    params: dict[str, tuple[float, float]] = {}
    for name in sorted(info.params):
        if not draw(st.booleans()):
            continue
        bounds = info.params[name]
        limit_lo, limit_hi = bounds.limit  # type: ignore[misc]
        if bounds.integer:
            a = draw(st.integers(math.ceil(limit_lo), math.floor(limit_hi)))
            b = draw(st.integers(a, math.floor(limit_hi)))
            params[name] = (float(a), float(b))
        else:
            a = draw(st.floats(limit_lo, limit_hi))
            b = draw(st.floats(a, limit_hi))
            params[name] = (a, b)
    return FaultSpec(probability=probability, window_s=window, params=params)


def fault_plans(
    kinds: Sequence[str] | None = None,
    *,
    duration_s: float = PLAN_DURATION_S_DEFAULT,
    scripted: bool = False,
) -> st.SearchStrategy[FaultPlan]:
    """FaultPlan values over `kinds` (default: every kind): a subset of them switched on, each with
    a FaultSpec. With `scripted`, also scripted crashes and clock faults within `duration_s`.

    Shrinks towards the empty (fault-free) plan: each kind is switched on by its own boolean, so
    Hypothesis turns off every kind the failure does not need.
    """
    names = _require_kinds(kinds)
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ValueError(f"duration_s must be a positive number of simulated seconds, got {duration_s}")
    return _fault_plans(tuple(names), duration_s, scripted)


@st.composite
def _fault_plans(draw: st.DrawFn, names: tuple[str, ...], duration_s: float, scripted: bool) -> FaultPlan:
    chosen = [name for name in names if draw(st.booleans())]
    specs = {name: draw(fault_specs(name, duration_s=duration_s)) for name in chosen}
    crashes: list[CrashSpec] = []
    clocks: list[ClockSpec] = []
    if scripted:
        crashes = draw(st.lists(st.builds(
            CrashSpec, node=st.sampled_from(CRASHABLE_NODES), at_s=st.floats(0.0, duration_s),
            restart_after_s=st.floats(0.0, 10.0)), max_size=3))
        clocks = draw(st.lists(st.one_of(
            st.builds(ClockSpec, node=st.sampled_from(CLOCK_NODES), at_s=st.floats(0.0, duration_s),
                      kind=st.just("skew"), value=st.floats(0.5, 2.0)),
            st.builds(ClockSpec, node=st.sampled_from(CLOCK_NODES), at_s=st.floats(0.0, duration_s),
                      kind=st.just("jump"), value=st.floats(-3600.0, 3600.0)),
        ), max_size=2))
    tick_s = draw(st.sampled_from((0.5, 0.25, 1.0, 2.0)))
    return FaultPlan(kinds=specs, crashes=crashes, clock=clocks, tick_s=tick_s)


def _param_values(kind: str) -> st.SearchStrategy[dict[str, int | float]]:
    info = FAULT_KINDS[kind]
    fields: dict[str, st.SearchStrategy] = {}
    for name in sorted(info.params):
        bounds = info.params[name]
        if bounds.integer:
            fields[name] = st.integers(math.ceil(bounds.lo), math.floor(bounds.hi))
        else:
            fields[name] = st.floats(bounds.lo, bounds.hi)
    return st.fixed_dictionaries(fields)


def _node_for(kind: str, point: str) -> st.SearchStrategy[str]:
    layer = FAULT_KINDS[kind].layer
    if layer == "proc":
        return st.just(kind.removeprefix("proc.crash_"))
    if layer == "clock":
        return st.sampled_from(CLOCK_NODES)
    if layer == "disk":
        return st.just("omen")
    return st.sampled_from(_RESPONDERS if point == "net.response" else _REQUEST_SENDERS)

@st.composite
def _schedule_entries(draw: st.DrawFn, names: list[str], occurrence_max: int) -> ScheduleEntry:
    kind = draw(st.sampled_from(names))
    point = draw(st.sampled_from(_points_for(kind)))
    return ScheduleEntry(point=point, node=draw(_node_for(kind, point)), kind=kind,
                         occurrence=draw(st.integers(1, occurrence_max)), params=draw(_param_values(kind)))


def fault_schedules(
    kinds: Sequence[str] | None = None,
    *,
    max_entries: int = SCHEDULE_ENTRIES_MAX_DEFAULT,
    occurrence_max: int = OCCURRENCE_MAX_DEFAULT,
) -> st.SearchStrategy[FaultSchedule]:
    """FaultSchedule values: up to `max_entries` faults of `kinds`, each at one occurrence (1..
    `occurrence_max`) of a plausible injection point, with parameters in the kind's default range.
    Never two entries with the same (point, node, kind, occurrence) (the injector refuses that).

    An entry whose point or occurrence the run never reaches simply does not fire: a schedule is
    a request, the run's own `result.schedule` says what fired. Shrinks towards the empty schedule.
    """
    names = _require_kinds(kinds)
    if not 0 <= max_entries <= 10_000:
        raise ValueError(f"max_entries must be in 0..10000, got {max_entries}")
    if occurrence_max < 1:
        raise ValueError(f"occurrence_max must be at least 1, got {occurrence_max}")
    entries = st.lists(_schedule_entries(names, occurrence_max), max_size=max_entries,
                       unique_by=lambda entry: entry.key())
    return entries.map(lambda listed: FaultSchedule(entries=listed))
