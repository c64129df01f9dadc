"""The farm's client loop without a cluster: budgets on finished runs, refused workers, a missing Dask,
results lost with their worker and runs the cluster cancelled."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from distributed.client import FuturesCancelledError

from scenarios.cli import main
from scenarios.farm import engine
from scenarios.farm.engine import HARNESS_ERROR, HARNESS_LIVENESS, RESULT_LOSSES_MAX, Farm, FarmError, FarmLimits
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


class ScriptedFuture:
    """A Dask future whose statuses, one per look of the farm's loop, are scripted; the last one stays."""

    def __init__(self, key: str, statuses: list[str], result: object) -> None:
        self.key, self._statuses, self._result = key, statuses, result
        self.cancelled = False

    @property
    def status(self) -> str:
        return self._statuses[0]

    def look(self) -> None:
        if len(self._statuses) > 1:
            self._statuses.pop(0)

    def result(self) -> object:
        assert self.status == "finished", self.status
        return self._result

    def exception(self) -> BaseException | None:
        return None

    def cancel(self) -> None:
        self.cancelled = True


class ScriptedClient:
    """Two one-thread workers; the n-th submission gets the n-th scripted status list."""

    def __init__(self, scripts: list[list[str]], result: FarmTaskResult) -> None:
        self.scripts, self.result = scripts, result
        self.futures: list[ScriptedFuture] = []

    def nthreads(self) -> dict[str, int]:
        return {"tcp://w1": 1, "tcp://w2": 1}

    def submit(self, *args: object, **kwargs: object) -> ScriptedFuture:
        assert self.scripts, "the farm submitted more runs than scripted"
        future = ScriptedFuture(f"run_farm_task-{len(self.futures)}", self.scripts.pop(0), self.result)
        self.futures.append(future)
        return future

    def run(self, function: object, *args: object, **kwargs: object) -> dict[str, object]:
        return {}  # no run is executing past its budget

    def cancel(self, futures: list[ScriptedFuture]) -> None:
        for future in futures:
            future.cancel()


def dasks_wait(futures: list[ScriptedFuture], timeout: float, return_when: str) -> SimpleNamespace:
    """`distributed.wait`'s answer: every future whose status is not "pending" is done -- a lost one too."""
    answer = SimpleNamespace(done={future for future in futures if future.status != "pending"})
    for future in futures:
        future.look()  # the cluster moves on while the farm handles the answer
    return answer


def test_a_result_lost_with_its_worker_after_wait_saw_it_is_run_again_and_counted_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "wait", dasks_wait)
    result = FarmTaskResult(job_outcome(TASK.job, run("calm", 0), None), None, 0.5, "tcp://w2")
    # "finished" when wait looked, "lost" when the farm reads it: its worker died in between (and
    # Dask's wait counts a lost future as done anyway); the resubmitted run then finishes.
    client = ScriptedClient([["finished", "lost", "lost"], ["pending", "finished"]], result)
    results: list[tuple[int, FarmTaskResult]] = []
    Farm(client, FarmLimits()).run([TASK], lambda index, got: results.append((index, got)))
    assert results == [(0, result)]  # its one result, the rerun's; never a harness_error
    assert [future.cancelled for future in client.futures] == [True, False]  # the lost one cannot report


def test_a_job_whose_results_keep_getting_lost_ends_in_one_harness_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "wait", dasks_wait)
    result = FarmTaskResult(job_outcome(TASK.job, run("calm", 0), None), None, 0.5, "tcp://w2")
    client = ScriptedClient([["lost"] for _ in range(RESULT_LOSSES_MAX + 1)], result)
    results: list[tuple[int, FarmTaskResult]] = []
    Farm(client, FarmLimits()).run([TASK], lambda index, got: results.append((index, got)))
    assert len(client.futures) == RESULT_LOSSES_MAX + 1 and not client.scripts  # resubmitted, bounded
    [(index, problem_result)] = results
    [problem] = problem_result.outcome.violations
    assert (index, problem["seed"], problem["invariant"]) == (0, 0, HARNESS_ERROR)
    assert f"lost with the worker holding it {RESULT_LOSSES_MAX + 1} times" in problem["message"]


def dasks_wait_raising_over_cancelled(futures: list[ScriptedFuture], timeout: float,
                                      return_when: str) -> SimpleNamespace:
    """`distributed.wait` when the cluster has cancelled a future: it raises, answering for none."""
    cancelled = [future for future in futures if future.status == "cancelled"]
    answer = dasks_wait(futures, timeout, return_when)
    if cancelled:
        raise FuturesCancelledError([])
    return answer


def test_a_run_the_cluster_cancelled_is_run_again_and_the_others_are_still_collected(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "wait", dasks_wait_raising_over_cancelled)
    result = FarmTaskResult(job_outcome(TASK.job, run("calm", 0), None), None, 0.5, "tcp://w2")
    other = dataclasses.replace(TASK, job=dataclasses.replace(TASK.job, seed=1))
    # the first job's future is cancelled by the scheduler while the second finishes: wait raises
    # over both; the farm reruns the first and still takes the second's result
    client = ScriptedClient([["cancelled"], ["finished"], ["pending", "finished"]], result)
    results: list[tuple[int, FarmTaskResult]] = []
    Farm(client, FarmLimits()).run([TASK, other], lambda index, got: results.append((index, got)))
    assert sorted(index for index, _ in results) == [0, 1]
    assert all(got is result for _, got in results)  # never a harness_error
    assert len(client.futures) == 3 and not client.scripts


def test_a_job_the_cluster_keeps_cancelling_ends_in_one_harness_error_that_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "wait", dasks_wait_raising_over_cancelled)
    result = FarmTaskResult(job_outcome(TASK.job, run("calm", 0), None), None, 0.5, "tcp://w2")
    client = ScriptedClient([["cancelled"] for _ in range(RESULT_LOSSES_MAX + 1)], result)
    results: list[tuple[int, FarmTaskResult]] = []
    Farm(client, FarmLimits()).run([TASK], lambda index, got: results.append((index, got)))
    assert len(client.futures) == RESULT_LOSSES_MAX + 1 and not client.scripts
    [(index, problem_result)] = results
    [problem] = problem_result.outcome.violations
    assert (index, problem["invariant"]) == (0, HARNESS_ERROR)
    assert f"the cluster cancelled its run {RESULT_LOSSES_MAX + 1} times" in problem["message"]
