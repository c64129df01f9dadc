"""The farm's overhead: sweep throughput on a local Dask cluster of 1 and 2 workers against the local
process pool of as many workers, on the same seeds, as ratios (1.0 = the farm costs nothing).

Cluster start-up is outside the timing (a farm is started once and fed many sweeps); the pool's is
inside its own (the local sweep starts a pool per call), which is what a user of either pays.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.conftest import best_of, record, timed
from scenarios.farm.engine import Farm, FarmLimits
from scenarios.farm.journal import SweepPlan
from scenarios.farm.sweep_farm import farm_sweep
from scenarios.sweep import sweep

FARM_SCENARIOS = ("calm", "hot_path_drops", "ledger_crash_tail", "disk_faults")  # the sweep benchmark's
CLUSTER_START_S_MAX = 120


@contextmanager
def _farm(workers: int) -> Iterator[Farm]:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers, timeout=CLUSTER_START_S_MAX)
        yield Farm(client, FarmLimits())


def test_farm_throughput_against_the_local_pool(benchmark, full, tmp_path: Path) -> None:  # noqa: ANN001
    plan = SweepPlan(FARM_SCENARIOS if full else FARM_SCENARIOS[:2], range(4 if full else 1), None, None)
    jobs = plan.jobs()
    journal = tmp_path / "journal.jsonl"
    with _farm(2) as farm:
        farm_sweep(farm, plan, journal)  # warm: every worker has imported the test bed
        farm_2_s, summary = timed(benchmark, lambda: farm_sweep(farm, plan, journal), rounds=1)
    with _farm(1) as farm:
        farm_sweep(farm, plan, journal)
        farm_1_s = best_of(lambda: farm_sweep(farm, plan, journal), 1)
    pool_2_s = best_of(lambda: sweep(jobs, workers=2), 1)
    pool_1_s = best_of(lambda: sweep(jobs, workers=1), 1)  # one worker: the local sweep runs in-process
    assert summary.runs == len(jobs)
    record(benchmark, "farm runs per wall s, local cluster of 2 workers", len(jobs) / farm_2_s, unit="runs/s")
    record(benchmark, "farm throughput / process pool, 1 worker each", pool_1_s / farm_1_s, target=">= 0.9x",
           met=pool_1_s / farm_1_s >= 0.9)
    record(benchmark, "farm throughput / process pool, 2 workers each", pool_2_s / farm_2_s, target=">= 0.9x",
           met=pool_2_s / farm_2_s >= 0.9)
    record(benchmark, "farm 2 workers / farm 1 worker speed-up", farm_1_s / farm_2_s, target=">= 1.8x",
           met=farm_1_s / farm_2_s >= 1.8)
