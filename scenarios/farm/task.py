"""What a farm worker runs: one job in, its summary row and its repro file's contents out, as data.

A worker may be another machine: it never touches the client's file system. The repro path it
names is computed from the client's repro directory (a pure path computation) and the client
writes the file. One run at a time per worker process: a planted bug patches the system's code for
the whole process, so two runs on two threads of one worker would see each other's bug.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.repro import default_repro_path, repro_from_result
from scenarios.sweep import Job, JobOutcome, job_outcome

# Runs executing in this worker process: task key -> monotonic start. The client asks for it
# (`running_runs`) to find a run past its wall-clock budget while it still runs.
_RUNNING: dict[str, float] = {}
RUNNING_MAX = 1  # one run per worker process (see the module docstring)
EXIT_DELAY_S = 0.1  # long enough for the worker's answer to leave before its process ends


class WorkerConfigError(RuntimeError):
    """A worker that would run two runs at once in one process (more than one thread)."""


@dataclass(frozen=True)
class FarmTask:
    job: Job
    commit: str | None  # the client's git commit, named in repro files


@dataclass(frozen=True)
class FarmTaskResult:
    outcome: JobOutcome
    repro_json: str | None  # the repro file's contents, written by the client at outcome.repro
    wall_seconds: float
    worker: str | None


def _task_identity() -> tuple[str | None, str | None]:
    """(task key, worker address) when run by a Dask worker, else (None, None)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None, None
    if worker.state.nthreads != RUNNING_MAX:
        raise WorkerConfigError(
            f"worker {worker.address} has {worker.state.nthreads} threads; a farm worker runs one run at a time "
            f"(a planted bug patches the whole process): start it with `dask worker ADDRESS --nthreads 1`")
    return str(worker.get_current_task()), worker.address


def run_farm_task(task: FarmTask, runner: Callable[..., Any] | None = None,
                  system_logs: bool = False) -> FarmTaskResult:
    """Run one job and return everything the client needs; writes nothing.

    `runner` stands in for `scenarios.runner.run` (same signature); the farm's tests pass a slow one.
    The worker's process is not the CLI's: the system's log lines are silenced here as the CLI does.
    """
    from scenarios.runner import run as run_scenario

    if not system_logs:
        for name in ("omen", "riskcast"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    run = runner or run_scenario
    key, worker = _task_identity()
    started = time.monotonic()
    if key is not None:
        assert len(_RUNNING) < RUNNING_MAX, f"a second run started in one worker process: {sorted(_RUNNING)}"
        _RUNNING[key] = started
    try:
        job = task.job
        result = run(job.scenario, job.seed, bug=job.bug)
        repro_path = repro_json = None
        if not result.ok and job.repro_dir is not None:
            repro_path = str(default_repro_path(Path(job.repro_dir), job.scenario, job.seed, job.bug))
            repro_json = repro_from_result(result, task.commit).model_dump_json(indent=2) + "\n"
        outcome = job_outcome(job, result, repro_path)
    finally:
        if key is not None:
            _RUNNING.pop(key, None)
    return FarmTaskResult(outcome, repro_json, time.monotonic() - started, worker)


def running_runs() -> dict[str, float]:
    """Seconds each run in this worker process has been running (called by the client via `Client.run`)."""
    now = time.monotonic()
    return {key: now - started for key, started in sorted(_RUNNING.items())}


def exit_worker_process(status: int) -> None:
    """End this worker's process just after answering (called via `Client.run`, on the worker's event
    loop): the way to free a worker whose run hung, since a thread cannot be stopped. Its nanny starts
    a fresh process."""
    asyncio.get_running_loop().call_later(EXIT_DELAY_S, os._exit, status)


def harness_problem_outcome(job: Job, problem: str, message: str) -> JobOutcome:
    """A run the farm could not finish, as a failed row: reported in the summary, never dropped."""
    violation: dict[str, Any] = {"scenario": job.scenario, "seed": job.seed, "repro": None,
                                 "invariant": problem, "message": message, "signal_ids": [],
                                 "partition": None, "trace_indices": []}
    return JobOutcome(scenario=job.scenario, seed=job.seed, trace_hash="", violations=[violation],
                      invariants={}, faults={}, kinds_on=[], signals=0, sim_seconds=0.0, repro=None)
