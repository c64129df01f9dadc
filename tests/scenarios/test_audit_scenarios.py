"""The audit's two mandatory tests, run as scenarios inside the simulation."""
from __future__ import annotations

import pytest

from faults import FaultPlan
from scenarios.runner import run


def test_twenty_concurrent_posts_of_one_signal_give_one_200_and_nineteen_409s_with_its_ack_id() -> None:
    result = run("concurrent_duplicates", 3, plan=FaultPlan(), keep_world=True)
    assert result.ok, result.violations
    responses = [e.fields for e in result.world.trace.events if e.kind == "concurrent_posts.response"]
    assert len(responses) == 20 and len({r["signal_id"] for r in responses}) == 1
    oks = [r for r in responses if r["status"] == 200]
    conflicts = [r for r in responses if r["status"] == 409]
    assert len(oks) == 1 and len(conflicts) == 19
    assert all(r["ack_id"] == oks[0]["ack_id"] for r in conflicts)
    rows = [row for row in result.world.stored_rows() if row[0] == oks[0]["signal_id"]]
    assert len(rows) == 1 and rows[0][1] == oks[0]["ack_id"]


def test_crash_tail_scenario_truncates_torn_tails_and_yields_only_valid_records() -> None:
    caught_torn = 0
    for seed in range(12):
        result = run("ledger_crash_tail", seed, keep_world=True)
        assert result.ok, (seed, result.violations)
        caught_torn += sum(1 for e in result.world.trace.events if e.kind == "node.crash" and e.node == "omen")
    assert caught_torn > 0, "the scenario must actually crash OMEN in the middle of appends"


def test_power_loss_metadata_checks_every_crash_state_inside_rollover_and_seal() -> None:
    """The exhaustive mode must see real histories (several crash states) at the metadata steps of
    rollover and seal, not only quiet instants where everything is durable (one state)."""
    result = run("power_loss_metadata", 0, keep_world=True)
    assert result.ok, result.violations
    checked = [e.fields for e in result.world.trace.events if e.kind == "exhaustive.checked"]
    assert sum(1 for c in checked if c["states"] >= 2) >= 10
    assert any(c["where"].startswith("before replace") and "_manifest" in c["where"] for c in checked)
    assert any(c["where"].startswith("before replace") and "_CURRENT" in c["where"] for c in checked)
    assert all(c["findings"] == 0 for c in checked)


def test_the_exhaustive_mode_drives_the_writers_own_recovery_in_every_crash_state() -> None:
    """Opening a writer recovers nothing by itself (recovery is lazy); the check writes into each
    recovered day, so a recovery bug (a sequence counter in an unsynced sidecar) is found in the
    enumerated states, not only by luck in the seeded crash."""
    result = run("power_loss_metadata", 0, bug="sequence_in_unsynced_sidecar", keep_world=True)
    checked = [e.fields for e in result.world.trace.events if e.kind == "exhaustive.checked"]
    assert any(c["findings"] > 0 for c in checked)
    assert any(v.invariant == "recoverability" and "enumerated crash state" in v.message for v in result.violations)


@pytest.mark.parametrize(("bug", "findings_min"), [(None, 0), ("sequence_in_unsynced_sidecar", 1), ("replace_without_fsync", 1)])
def test_the_checks_of_a_run_share_memos_and_find_what_fresh_memos_find(monkeypatch, bug, findings_min) -> None:
    """A run's crash-state checks share one reader, oracle memo and recovery-scan memo
    (`CrashCheckMemos`); every memo keys on bytes, so each check finds what it finds with fresh memos."""
    import scenarios.drivers.exhaustive_points as points

    shared = run("power_loss_metadata", 1, bug=bug, keep_world=True)
    fresh_check = points.check_all_crash_states
    monkeypatch.setattr(points, "check_all_crash_states",
                        lambda *args, memos=None, **kwargs: fresh_check(*args, **kwargs))
    fresh = run("power_loss_metadata", 1, bug=bug, keep_world=True)
    assert shared.world.observations.crash_state_findings == fresh.world.observations.crash_state_findings
    assert len(shared.world.observations.crash_state_findings) >= findings_min
    assert shared.trace_hash == fresh.trace_hash
    checked = [e.fields for e in shared.world.trace.events if e.kind == "exhaustive.checked"]
    assert sum(1 for c in checked if c["states"] >= 2) >= 5  # checks that share something
