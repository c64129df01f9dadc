"""The liveness checker: beyond the promise, a corrupt partition excuses only itself."""
from __future__ import annotations

from types import SimpleNamespace

from scenarios.invariants import CheckContext
from sim.trace import TraceEvent
from scenarios.invariants.reconcile_checks import liveness


def context(statuses: dict[str, str], *, bitflips: int = 1) -> CheckContext:
    events = [TraceEvent(index, 1.0, "reconciler", "reconcile.result", {"partition": name, "status": status})
              for index, (name, status) in enumerate(sorted(statuses.items()))]
    return CheckContext(events=events, final_visible={}, final_durable={}, stored_rows=[], reconcile_state={},
                        reader_view={}, observations=SimpleNamespace(deadlock=None, converged=False),
                        faults_fired={"disk.bitflip": bitflips})


def test_a_corrupt_partition_reported_by_reconcile_excuses_its_own_non_convergence() -> None:
    assert list(liveness(context({"2026-01-01": "corrupt", "2026-01-02": "up_to_date"}))) == []


def test_a_day_left_unsealed_beside_a_corrupt_one_is_a_liveness_violation() -> None:
    found = list(liveness(context({"2026-01-01": "corrupt", "2026-01-02": "skipped"})))
    assert [violation.partition for violation in found] == ["2026-01-02"]
    assert "skipped" in found[0].message


def test_without_faults_beyond_the_promise_non_convergence_is_never_excused() -> None:
    found = list(liveness(context({"2026-01-01": "corrupt"}, bitflips=0)))
    assert len(found) == 1 and "did not converge" in found[0].message
