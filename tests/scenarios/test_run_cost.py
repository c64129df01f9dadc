"""What a run costs the kernel follows the work it does, not the simulated time it spans.

Loop turns are a count, the same on every machine, so they are asserted here (timings are
only ever measured in benchmarks/). The liveness phase of a calm run waits through most of a
simulated day for its partitions to become sealable: that wait must cost a handful of turns,
not one per tick of the periodic seal and reconcile loops.
"""
from __future__ import annotations

from scenarios.runner import run

DAY_S = 86_400.0
TURNS_PER_SIGNAL_MAX = 10


def test_a_calm_run_of_200_signals_costs_at_most_10_loop_turns_per_signal():
    result = run("calm", 2, overrides={"workload": {"signal_count": 200}}, keep_world=True)
    try:
        assert result.ok, result.violations[:3]
        assert result.sim_seconds > DAY_S, "the run spans the liveness phase's simulated day"
        turns = result.world.sim.loop.iterations
        assert turns <= TURNS_PER_SIGNAL_MAX * result.signals, f"{turns} turns for {result.signals} signals"
    finally:
        result.world = None


def test_a_longer_quiet_span_costs_no_more_turns():
    """Starting the same workload earlier before midnight lengthens the quiet wait of the liveness
    phase by hours of simulated time; the turns it costs stay within a few of each other."""
    def turns(start_before_midnight_s: float) -> tuple[int, float]:
        result = run("calm", 2, overrides={"workload": {"signal_count": 50},
                                          "start_before_midnight_s": start_before_midnight_s}, keep_world=True)
        assert result.ok, result.violations[:3]
        counted = result.world.sim.loop.iterations, result.sim_seconds
        result.world = None
        return counted

    near_turns, near_span_s = turns(600.0)
    far_turns, far_span_s = turns(6 * 3600.0)
    assert far_span_s > near_span_s + 4 * 3600.0, (near_span_s, far_span_s)
    assert abs(far_turns - near_turns) <= 20, (near_turns, far_turns)
