"""A run's trace hash is computed when first asked, and is the hash of the trace as the run ended."""
from __future__ import annotations

from scenarios.runner import run
from scenarios.sweep import Job, run_job
from sim.trace import canonical_line, hash_lines


def test_the_hash_asked_later_is_the_hash_of_the_events_the_run_ended_with() -> None:
    result = run("calm", 3, keep_world=True)
    events = result.world.trace.events
    expected = hash_lines(canonical_line(event) for event in events[:result.trace_events])
    # anything recorded after the run ended (as a cancelled task unwinding at close may) is not hashed
    result.world.trace.record("world", "converged")
    assert result.trace_hash == expected
    assert result.trace_hash == run("calm", 3).trace_hash  # the same in a run that kept nothing


def test_the_trace_is_let_go_once_hashed() -> None:
    result = run("calm", 4)
    assert result.trace is not None and len(result.trace) >= result.trace_events
    first = result.trace_hash
    assert result.trace is None and result.trace_hash == first


def test_the_local_sweeps_row_leaves_a_passing_runs_hash_uncomputed() -> None:
    outcome = run_job(Job("calm", 5))
    assert outcome.trace_hash is None and not outcome.violations
