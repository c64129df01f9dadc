"""The farm's client loop without a cluster: budgets on finished runs, refused workers, a missing Dask."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from scenarios.cli import main
from scenarios.farm.engine import HARNESS_ERROR, HARNESS_LIVENESS, Farm, FarmError, FarmLimits
from scenarios.farm.task import FarmTask, FarmTaskResult, run_farm_task
from scenarios.runner import run
from scenarios.sweep import Job, job_outcome, run_job


class FinishedFuture:
    """What `Farm._collect` reads of a Dask future that finished (or failed)."""

    def __init__(self, result: object = None, error: BaseException | None = None) -> None:
        self.status = "finished" if error is None else "error"
        self._result, self._error = result, error

    def result(self) -> object:
        return self._result

    def exception(self) -> BaseException | None:
        return self._error


class ThreadsClient:
    def __init__(self, threads: dict[str, int]) -> None:
        self.threads = threads

    def nthreads(self) -> dict[str, int]:
        return self.threads


TASK = FarmTask(Job("calm", 0, None, None), None)


def test_the_task_returns_the_local_sweeps_row_and_writes_nothing(tmp_path: Path) -> None:
    job = Job("calm", 1, "push_before_ledger", str(tmp_path / "repros"))
    result = run_farm_task(FarmTask(job, "abc123"))
    assert not (tmp_path / "repros").exists()  # the client writes the repro file, not the worker
    local = run_job(job)
    # the local pool's row, repro path included; only the farm's row carries the trace hash (its journal
    # compares a job run twice), and it is the run's own
    assert local.trace_hash is None and dataclasses.replace(result.outcome, trace_hash=None) == local
    assert result.outcome.trace_hash == run(job.scenario, job.seed, bug=job.bug).trace_hash
    assert result.repro_json is not None and '"git_commit": "abc123"' in result.repro_json
    assert result.worker is None and result.wall_seconds > 0


def test_a_run_that_finished_past_its_budget_keeps_its_result_and_is_reported(tmp_path: Path) -> None:
    outcome = job_outcome(TASK.job, run("calm", 0), None)
    late = FarmTaskResult(outcome, None, wall_seconds=12.5, worker="tcp://w1")
    collected = Farm(ThreadsClient({}), FarmLimits(run_budget_s=10))._collect(FinishedFuture(late), TASK)
    assert collected.outcome.trace_hash == outcome.trace_hash and collected.outcome.signals == outcome.signals
    [problem] = collected.outcome.violations
    assert problem["invariant"] == HARNESS_LIVENESS and "12.5 wall s on tcp://w1" in problem["message"]


def test_a_run_whose_workers_kept_dying_is_a_harness_error_on_its_seed() -> None:
    from distributed.scheduler import KilledWorker

    error = KilledWorker("run_farm_task-1", SimpleNamespace(address="tcp://w1"), 3)
    collected = Farm(ThreadsClient({}), FarmLimits())._collect(FinishedFuture(error=error), TASK)
    [problem] = collected.outcome.violations
    assert (problem["scenario"], problem["seed"], problem["invariant"]) == ("calm", 0, HARNESS_ERROR)
    assert "omen-sim run calm --seed 0" in problem["message"] and "tcp://w1" in problem["message"]


def test_workers_with_more_than_one_thread_are_refused() -> None:
    assert Farm(ThreadsClient({"tcp://a": 1, "tcp://b": 1}), FarmLimits()).worker_count() == 2
    with pytest.raises(FarmError, match="tcp://b run more than one thread.*--nthreads 1"):
        Farm(ThreadsClient({"tcp://a": 1, "tcp://b": 4}), FarmLimits()).worker_count()


def test_dask_missing_is_a_usage_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` raises ImportError
    assert main(["sweep", "--seeds", "1", "--scenario", "calm", "--dask", "local:1",
                 "--repro-dir", str(tmp_path)]) == 2
    assert "pip install 'omen-testbed[farm]'" in capsys.readouterr().err
