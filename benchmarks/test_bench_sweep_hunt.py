"""Many runs: sweep throughput, its scaling over worker processes, the CI sweep's and the hunt's wall
seconds, and seconds to catch each planted bug."""
from __future__ import annotations

import os
import statistics

from benchmarks.conftest import best_of, record, timed
from scenarios.bugzoo import BUGS
from scenarios.catalog import SCENARIOS
from scenarios.hunt import hunt_bug
from scenarios.sweep import Job, sweep

SWEEP_SCENARIOS = ("calm", "hot_path_drops", "ledger_crash_tail", "disk_faults")
HUNT_SEEDS_MAX = 50
QUICK_BUGS = ("push_before_ledger", "no_dir_fsync_new_segment")
CI_SWEEP_SEEDS = 182  # what .ci/run sweeps: every scenario x 182 seeds, two workers
HUNT_ALL_SEEDS_MAX = 2000  # what .ci/run allows each planted bug


def jobs(seeds: int) -> list[Job]:
    return [Job(scenario, seed) for seed in range(seeds) for scenario in SWEEP_SCENARIOS]


def test_sweep_throughput_and_two_worker_scaling(benchmark, full):
    work = jobs(6 if full else 1)
    seconds, summary = timed(benchmark, lambda: sweep(work, workers=1), rounds=1)
    record(benchmark, "sweep runs per wall s, 1 worker", summary.runs / seconds, unit="runs/s")
    record(benchmark, "sweep simulated signals per wall s, 1 worker", summary.signals / seconds, unit="signals/s")
    two_s = best_of(lambda: sweep(work, workers=2), 1)
    scaling = seconds / two_s
    benchmark.extra_info["cpu_count"] = os.cpu_count()
    record(benchmark, "sweep --workers 2 speed-up over 1 worker", scaling, target=">= 1.8x", met=scaling >= 1.8)


def test_seconds_to_catch_each_planted_bug(benchmark, full):
    names = sorted(BUGS) if full else list(QUICK_BUGS)

    def hunt_all() -> list:
        return [hunt_bug(name, max_seeds=HUNT_SEEDS_MAX) for name in names]

    hunt_s, reports = timed(benchmark, hunt_all, rounds=1)
    for report in reports:
        benchmark.extra_info[f"hunt_s.{report.name}"] = report.wall_seconds if report.caught else None
    caught = [r.wall_seconds for r in reports if r.caught]
    escaped = [r.name for r in reports if not r.caught]
    benchmark.extra_info["escaped"] = escaped
    median_s = statistics.median(caught) if caught else float("inf")
    record(benchmark, "median seconds to catch a planted bug", median_s, unit="s", target="<= 5 s", met=median_s <= 5)
    record(benchmark, "max seconds to catch a planted bug", max(caught) if caught else float("inf"), unit="s")
    record(benchmark, "planted bugs caught", float(len(caught)), unit=f"of {len(reports)}")
    if full:
        record(benchmark, "hunt --all, wall seconds", hunt_s, unit="s", target="<= 20 s", met=hunt_s <= 20)


def test_ci_sweep_wall_seconds(benchmark, full):
    """The sweep .ci/run makes (every scenario x 182 seeds, two workers); one seed when not timing."""
    seeds = CI_SWEEP_SEEDS if full else 1
    work = [Job(scenario, seed) for seed in range(seeds) for scenario in sorted(SCENARIOS)]
    seconds, summary = timed(benchmark, lambda: sweep(work, workers=2), rounds=1)
    assert summary.runs == len(work)
    benchmark.extra_info["runs"] = summary.runs
    record(benchmark, f"CI sweep ({summary.runs:,} runs, two workers), wall seconds", seconds, unit="s",
           target="<= 60 s" if full else "", met=seconds <= 60 if full else None)
