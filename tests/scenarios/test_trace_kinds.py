"""The trace kinds are a catalogue: the world's trace refuses to go outside it, and so do checkers."""
from __future__ import annotations

import pytest

from faults import FaultPlan
from scenarios.invariants import CheckContext
from scenarios.observers import Observations
from scenarios.trace_kinds import TRACE_KINDS, UnknownTraceKindError
from scenarios.world import World, WorldConfig
from sim.trace import Trace, TraceKindError


def test_a_restricted_trace_refuses_an_unknown_kind_and_an_undeclared_field() -> None:
    trace = Trace()
    trace.restrict({"emit.start": frozenset({"signal_id", "emitted_at"})})
    assert trace.record("omen", "emit.start", signal_id="S1") == 0, "optional fields may be left out"
    with pytest.raises(TraceKindError, match="emit.strat"):
        trace.record("omen", "emit.strat", signal_id="S1")
    with pytest.raises(TraceKindError, match="sigal_id"):
        trace.record("omen", "emit.start", sigal_id="S1")
    assert len(trace) == 1, "a refused event is not recorded"


def test_the_worlds_trace_is_restricted_to_the_catalogue() -> None:
    world = World(WorldConfig(seed=0), FaultPlan())
    with pytest.raises(TraceKindError):
        world.trace.record("omen", "ledger.seald", partition="2026-01-01")
    world.sim.close()


def test_a_checker_asking_for_a_kind_outside_the_catalogue_gets_an_error_not_nothing() -> None:
    context = CheckContext(events=[], final_visible={}, final_durable={}, stored_rows=[], reconcile_state={},
                           reader_view={}, observations=Observations(), faults_fired={})
    assert context.of_kind("emit.result") == []
    with pytest.raises(UnknownTraceKindError, match="emit.reslt"):
        context.of_kind("emit.reslt")


def test_every_kind_the_checkers_read_is_in_the_catalogue() -> None:
    import inspect
    import re

    from scenarios.invariants import CHECKERS

    read = set()
    for checker in CHECKERS.values():
        read |= set(re.findall(r'of_kind\("([^"]+)"\)', inspect.getsource(inspect.getmodule(checker))))
    assert read, "the checkers read events by kind"
    assert read <= set(TRACE_KINDS), sorted(read - set(TRACE_KINDS))
