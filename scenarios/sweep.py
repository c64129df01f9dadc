"""Many runs: scenarios x seeds, across worker processes, summarised.

Each run depends only on (scenario, seed, plan overrides, bug), so runs are spread over
a process pool and merged in a fixed order: the summary is the same whatever the number
of workers. Wall-clock time is read here (and only for reporting).
"""
from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.gc_tuning import tune_gc_for_runs
from scenarios.repro import default_repro_path, git_commit, repro_from_result
from scenarios.runner import run
from sim.errors import HarnessError

SEEDS_MAX = 10_000_000


class SeedRangeError(HarnessError, ValueError):
    """A seed range the user gave is malformed."""


def parse_seed_range(text: str) -> range:
    """'A:B' -> seeds A..B-1. Both non-negative, A < B."""
    head, sep, tail = text.partition(":")
    if not sep:
        raise SeedRangeError(f"seed range {text!r} must look like A:B (for example 0:100)")
    try:
        start, stop = int(head), int(tail)
    except ValueError:
        raise SeedRangeError(f"seed range {text!r}: both ends must be integers, as in 0:100") from None
    if start < 0 or stop <= start:
        raise SeedRangeError(f"seed range {text!r}: need 0 <= A < B")
    if stop - start > SEEDS_MAX:
        raise SeedRangeError(f"seed range {text!r} has more than {SEEDS_MAX} seeds")
    return range(start, stop)


@dataclass(frozen=True)
class Job:
    scenario: str
    seed: int
    bug: str | None = None
    repro_dir: str | None = None


@dataclass
class JobOutcome:
    scenario: str
    seed: int
    trace_hash: str | None  # None: not computed (the local sweep never reads a passing run's hash)
    violations: list[dict[str, Any]]
    invariants: dict[str, dict[str, int]]
    faults: dict[str, int]
    kinds_on: list[str]
    signals: int
    sim_seconds: float
    repro: str | None


def run_job(job: Job) -> JobOutcome:
    result = run(job.scenario, job.seed, bug=job.bug)
    repro_path = None
    if not result.ok and job.repro_dir is not None:
        repro = repro_from_result(result, git_commit())
        repro_path = str(repro.save(default_repro_path(Path(job.repro_dir), job.scenario, job.seed, job.bug)))
    return job_outcome(job, result, repro_path, with_trace_hash=False)


def job_outcome(job: Job, result: Any, repro_path: str | None, *, with_trace_hash: bool = True) -> JobOutcome:
    """The one place a run becomes a summary row: the local pool and the farm (scenarios.farm) share it,
    so the same scenarios and seeds give the same summary wherever they ran.

    `with_trace_hash=False` leaves the row's hash uncomputed: the local sweep's summary holds no hash
    (a failing run's repro file records it), and hashing is about a twentieth of a run. The farm's
    journal compares hashes of a job run twice, so the farm asks for it."""
    return JobOutcome(
        scenario=job.scenario,
        seed=job.seed,
        trace_hash=result.trace_hash if with_trace_hash else None,
        violations=[{"scenario": job.scenario, "seed": job.seed, "repro": repro_path, **v.to_json()}
                    for v in result.violations],
        invariants=result.invariants,
        faults=result.faults,
        kinds_on=sorted(result.plan.kinds),
        signals=result.signals,
        sim_seconds=result.sim_seconds,
        repro=repro_path,
    )


@dataclass
class SweepSummary:
    runs: int = 0
    violations: list[dict[str, Any]] = field(default_factory=list)
    invariants: dict[str, dict[str, int]] = field(default_factory=dict)
    faults: Counter = field(default_factory=Counter)
    kinds_on: set[str] = field(default_factory=set)
    signals: int = 0
    sim_seconds: float = 0.0
    wall_seconds: float = 0.0
    per_scenario: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, outcome: JobOutcome) -> None:
        self.runs += 1
        self.violations.extend(outcome.violations)
        for name, counts in outcome.invariants.items():
            total = self.invariants.setdefault(name, {"checked": 0, "violated": 0})
            total["checked"] += counts["checked"]
            total["violated"] += counts["violated"]
        self.faults.update(outcome.faults)
        self.kinds_on.update(outcome.kinds_on)
        self.signals += outcome.signals
        self.sim_seconds += outcome.sim_seconds
        row = self.per_scenario.setdefault(outcome.scenario, {"runs": 0, "failed": 0})
        row["runs"] += 1
        row["failed"] += 1 if outcome.violations else 0

    @property
    def never_fired(self) -> list[str]:
        return sorted(kind for kind in self.kinds_on if self.faults.get(kind, 0) == 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "violations": self.violations,
            "invariants": dict(sorted(self.invariants.items())),
            "faults": dict(sorted(self.faults.items())),
            "faults_never_fired": self.never_fired,
            "signals": self.signals,
            "sim_seconds": round(self.sim_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 3),
            "per_scenario": dict(sorted(self.per_scenario.items())),
        }


def sweep(
    jobs: list[Job],
    *,
    workers: int = 1,
    progress: Callable[[int, int, SweepSummary], None] | None = None,
    journal: Path | None = None,
) -> SweepSummary:
    """Run every job; the journal gets each job's seed before it starts (a harness crash leaves it)."""
    assert workers >= 1, workers
    summary = SweepSummary()
    started = time.perf_counter()
    if journal is not None:
        journal.parent.mkdir(parents=True, exist_ok=True)
        journal.write_text("".join(f"{job.scenario} {job.seed}\n" for job in jobs), encoding="utf-8")
    outcomes: Iterable[JobOutcome]
    if workers == 1:
        outcomes = map(run_job, jobs)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=tune_gc_for_runs)
        outcomes = pool.map(run_job, jobs, chunksize=max(1, min(16, len(jobs) // (workers * 8) or 1)))
    try:
        for done, outcome in enumerate(outcomes, start=1):
            summary.add(outcome)
            summary.wall_seconds = time.perf_counter() - started
            if progress is not None:
                progress(done, len(jobs), summary)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    summary.wall_seconds = time.perf_counter() - started
    if journal is not None and not summary.violations:
        journal.unlink(missing_ok=True)
    return summary


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
