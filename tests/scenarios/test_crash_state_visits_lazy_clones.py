"""The exhaustive check makes a clone only for a crash state it recovers (`SimDisk.crash_state_visits`):
held to the eager form that clones every state (`clone()` then `apply_crash_state`, each clone
recording its `disk.crash` event), the run records the very same trace, event for event, and every check finds the
same; fault-free and under planted bugs whose findings the checks report."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarios.drivers.exhaustive_points as points
from scenarios.runner import run
from sim.disk import SimDisk
from sim.disk.disk import CrashStateVisit

# planted bugs whose findings the exhaustive checks of `power_loss_metadata` report (see the zoo)
BUGS_WITH_FINDINGS = ("sequence_in_unsynced_sidecar", "replace_without_fsync")


class _EagerVisit:
    """A visit whose clone was made (and its event recorded) as the visit was yielded."""

    def __init__(self, state, clone: SimDisk) -> None:
        self.state = state
        self._clone = clone

    def clone(self) -> SimDisk:
        return self._clone


def _eager_visits(disk: SimDisk, states):
    """Every state cloned as the visit is yielded, in the two-step form `clone_in_state` is held to
    (`clone()`, no fault hook, `apply_crash_state`: the clone records the state's event)."""
    for state in list(states):
        clone = disk.clone()
        clone.fault_hook = None
        clone.apply_crash_state(state)
        yield _EagerVisit(state, clone)


def _run(monkeypatch, scenario: str, seed: int, bug: str | None, *, eager: bool):
    """(the run's canonical trace lines, every check's (states, findings), visits, clones made)."""
    checks: list = []
    counts = {"visits": 0, "clones": 0}
    check = points.check_all_crash_states
    visits = _eager_visits if eager else SimDisk.crash_state_visits
    lazy_clone = CrashStateVisit.clone

    def recording_check(*args, **kwargs):
        result = check(*args, **kwargs)
        checks.append(result)
        return result

    def counted_visits(disk, states):
        for visit in visits(disk, states):
            counts["visits"] += 1
            yield visit

    def counted_clone(visit):
        counts["clones"] += 1
        return lazy_clone(visit)

    with monkeypatch.context() as patch:
        patch.setattr(points, "check_all_crash_states", recording_check)
        patch.setattr(SimDisk, "crash_state_visits", counted_visits)
        patch.setattr(CrashStateVisit, "clone", counted_clone)
        result = run(scenario, seed, bug=bug)
        lines = list(result.trace.canonical_lines())[:result.trace_events]
    return lines, checks, [v.to_json() for v in result.violations], counts


def _assert_lazy_is_eager(monkeypatch, scenario: str, seed: int, bug: str | None) -> dict:
    lazy_lines, lazy_checks, lazy_violations, counts = _run(monkeypatch, scenario, seed, bug, eager=False)
    eager_lines, eager_checks, eager_violations, eager_counts = _run(monkeypatch, scenario, seed, bug, eager=True)
    assert eager_counts["clones"] == 0, "the eager form makes its clones without a lazy visit"
    assert counts["visits"] == eager_counts["visits"]
    assert lazy_lines == eager_lines
    assert lazy_checks == eager_checks
    assert lazy_violations == eager_violations
    counts["findings"] = sum(len(findings) for _, findings in lazy_checks)
    return counts


@pytest.mark.parametrize("bug", (None, *BUGS_WITH_FINDINGS))
def test_lazy_clones_record_the_trace_and_findings_of_cloning_every_state(monkeypatch, bug) -> None:
    counts = _assert_lazy_is_eager(monkeypatch, "power_loss_metadata", 1, bug)
    assert 0 < counts["clones"] < counts["visits"], "some state must be a memo hit, or this proves nothing"
    assert counts["findings"] > 0 if bug is not None else counts["findings"] == 0


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=st.sampled_from(["power_loss_metadata", "power_loss_ext4_ordered"]),
       seed=st.integers(min_value=0, max_value=10_000),
       bug=st.sampled_from([None, *BUGS_WITH_FINDINGS]))
def test_lazy_clones_hold_on_any_seed(monkeypatch, scenario, seed, bug) -> None:
    _assert_lazy_is_eager(monkeypatch, scenario, seed, bug)
