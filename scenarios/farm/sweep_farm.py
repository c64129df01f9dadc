"""A sweep on the farm: the local sweep's summary, from runs spread over a Dask cluster.

Results arrive in any order; the summary is folded in job order (seed-major, scenarios in the
plan's order) with the local sweep's own builder (`SweepSummary.add` over `job_outcome` rows), so
the same scenarios and seeds give the same runs, violations, fault counts, signals and simulated
seconds (the farm's rows also carry each run's trace hash, which its journal compares). Each result is journaled (after its repro file is written) the moment it
arrives; a resumed sweep runs only the jobs its journal has no result for.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scenarios.farm.engine import Farm
from scenarios.farm.journal import Journal, SweepPlan
from scenarios.farm.task import FarmTask, FarmTaskResult
from scenarios.repro import Repro, git_commit
from scenarios.sweep import JobOutcome, SweepSummary

Progress = Callable[[int, int, SweepSummary], None]


def farm_sweep(farm: Farm, plan: SweepPlan | None, journal_path: Path, *, resume: bool = False,
               progress: Progress | None = None) -> SweepSummary:
    """Run `plan` (or, with `resume`, the rest of the journal's plan) on the farm; the whole sweep's summary."""
    started = time.perf_counter()
    outcomes: dict[int, JobOutcome]
    if resume:
        journal, state = Journal.reopen(journal_path)
        plan, outcomes = state.plan, dict(state.outcomes)
    else:
        assert plan is not None, "a new farm sweep needs its plan"
        journal, outcomes = Journal.create(journal_path, plan), {}
    jobs = plan.jobs()
    commit = git_commit()
    tasks = [FarmTask(job, commit) for job in jobs]
    live = SweepSummary()  # arrival order, for progress only
    for index in sorted(outcomes):
        live.add(outcomes[index])

    def on_result(index: int, result: FarmTaskResult) -> None:
        assert index not in outcomes, f"job {index} ({jobs[index].scenario} seed {jobs[index].seed}) counted twice"
        outcome = result.outcome
        if result.repro_json is not None:
            assert outcome.repro is not None, "a repro file's contents came back without its path"
            Repro.model_validate_json(result.repro_json).save(outcome.repro)
        journal.append(index, outcome)
        outcomes[index] = outcome
        live.add(outcome)
        live.wall_seconds = time.perf_counter() - started
        if progress is not None:
            progress(len(outcomes), len(jobs), live)

    farm.run(tasks, on_result, indices=[index for index in range(len(jobs)) if index not in outcomes])
    assert len(outcomes) == len(jobs), (len(outcomes), len(jobs))
    summary = summarize(outcomes[index] for index in range(len(jobs)))
    summary.wall_seconds = time.perf_counter() - started
    return summary


def summarize(outcomes: Any) -> SweepSummary:
    """The local sweep's summary of these rows, in the order given."""
    summary = SweepSummary()
    for outcome in outcomes:
        summary.add(outcome)
    return summary
