"""The farm's client loop: submit runs to a Dask cluster, collect them as they finish, lose none.

Bounded: at most `runs_per_worker` runs per connected worker are submitted at a time (the rest wait
on the client, so a million-seed sweep holds a few futures, not a million). Budgeted: a run still
executing past `run_budget_s` of wall time (asked of the workers each poll), or one that finished
past it, is reported as a harness liveness problem on that job; a hung run's worker process is ended (its
nanny starts a fresh one) so the slot takes work again. Worker loss is Dask's to repair: the scheduler runs the lost run again on
another worker, and each job has one future, so it is counted once. A run that finished on a worker
that died before the client fetched its result is resubmitted (a bounded number of times). A run
that raised, or that killed worker after worker, is reported on its job too: every job ends with
exactly one result.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from distributed import Client, Future, wait
from distributed.client import FuturesCancelledError
from distributed.scheduler import KilledWorker

from scenarios.farm.task import (FarmTask, FarmTaskResult, exit_worker_process, harness_problem_outcome, run_farm_task,
                                 running_runs)

HARNESS_LIVENESS = "harness_liveness"  # a run past its wall-clock budget
HARNESS_ERROR = "harness_error"  # a run that raised, or whose workers kept dying
RUNS_PER_WORKER_MAX = 64
POLL_S_MAX = 1.0
POLL_S_MIN = 0.01
WORKERLESS_S_MAX = 300.0  # a cluster that lost every worker for this long ends the farm (journal kept)
EXIT_HUNG_RUN = 75  # the status a worker exits with when the farm ends it over a hung run
# A finished run whose worker died before the client fetched its result comes back from `wait` as
# done with status "lost" (Dask's `wait` counts every future not "pending" as done). The run did not
# fail: the farm submits it again. Dask's allowed-failures (3) bounds runs whose worker died while
# running them, but not results lost after they finished; this bounds those, with the same count,
# so a cluster whose workers keep dying ends each job in a harness_error instead of looping. (Not
# left to Dask's own recompute of the lost key: a lost future is in every `wait` answer until it is
# recomputed, so the farm could not count its losses; a fresh future per loss makes each one count.)
RESULT_LOSSES_MAX = 3
# A future the cluster cancelled (the scheduler forgot its key: a restarted scheduler, a client
# reconnect) makes Dask's `wait` raise FuturesCancelledError instead of answering, for every other
# future in the list too. The farm's own cancels never reach `wait` (it drops those futures from its
# pending set first), so a cancelled one in the set was not ours: it is resubmitted, as a lost
# result is, with the same bound.
NOT_DONE_STATUSES = frozenset({"cancelled", "lost", "pending"})  # done when `wait` looked, not any more


class FarmError(RuntimeError):
    """The farm cannot run: no workers, or workers configured so that runs would interfere."""


@dataclass(frozen=True)
class FarmLimits:
    runs_per_worker: int = 2  # one executing, one queued behind it to hide the round trip
    run_budget_s: float = 600.0

    def __post_init__(self) -> None:
        if not 1 <= self.runs_per_worker <= RUNS_PER_WORKER_MAX:
            raise FarmError(f"runs in flight per worker must be 1..{RUNS_PER_WORKER_MAX}, got {self.runs_per_worker}")
        if not self.run_budget_s > 0:
            raise FarmError(f"the wall-clock budget per run must be positive, got {self.run_budget_s} s")

    @property
    def poll_s(self) -> float:
        return max(POLL_S_MIN, min(POLL_S_MAX, self.run_budget_s / 4))


OnResult = Callable[[int, FarmTaskResult], None]


class Farm:
    """Runs FarmTasks on a connected `Client`; `run` returns when every wanted task has a result."""

    def __init__(self, client: Client, limits: FarmLimits, *, runner: Callable[..., Any] | None = None,
                 system_logs: bool = False) -> None:
        self.client = client
        self.limits = limits
        self.runner = runner
        self.system_logs = system_logs
        self.restarted_workers: list[str] = []

    def worker_count(self) -> int:
        threads = self.client.nthreads()
        crowded = sorted(address for address, count in threads.items() if count != 1)
        if crowded:
            raise FarmError(f"workers {', '.join(crowded)} run more than one thread; a farm worker runs one run at a "
                            f"time (a planted bug patches the whole process): start workers with --nthreads 1")
        return len(threads)

    def run(self, tasks: Sequence[FarmTask], on_result: OnResult, *, indices: Sequence[int] | None = None,
            wanted: Callable[[int], bool] | None = None) -> None:
        """Run tasks[i] for i in `indices` (default all, in order); `on_result` gets each exactly once.

        `wanted(i)` is asked before submitting i and of every pending i after each result: once False
        it must stay False for i and every later index (a hunt that caught its bug stops there).
        """
        order = range(len(tasks)) if indices is None else indices
        assert isinstance(order, range) or len(set(order)) == len(order), "a job listed twice is counted twice"
        is_wanted = wanted or (lambda index: True)
        pending: dict[Future, int] = {}
        losses: dict[int, int] = {}  # job index -> results lost with their worker; only jobs in flight
        position = 0
        try:
            workerless_since: float | None = None
            # Ends: each turn submits, or takes at least one result, or waits poll_s; every pending run
            # ends by finishing, failing, or its budget; a cluster without workers ends it by WORKERLESS_S_MAX.
            while True:
                workers = self.worker_count()
                if workers:
                    workerless_since = None
                else:
                    workerless_since = workerless_since if workerless_since is not None else time.monotonic()
                    if time.monotonic() - workerless_since > WORKERLESS_S_MAX:
                        raise FarmError(f"the cluster has had no worker for {WORKERLESS_S_MAX:g} s; "
                                        f"{len(pending)} run(s) were in flight")
                limit = self.limits.runs_per_worker * max(1, workers)
                while position < len(order) and len(pending) < limit and is_wanted(order[position]):
                    index = order[position]
                    pending[self._submit(tasks[index])] = index
                    position += 1
                if not pending:
                    return
                try:
                    done = wait(list(pending), timeout=self.limits.poll_s, return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    done = set()
                except FuturesCancelledError:
                    done = {future for future in pending if future.status != "pending"}
                    assert done, "wait raised over cancelled futures, but none of ours is done"
                for future in sorted(done, key=lambda f: pending[f]):
                    index = pending.pop(future)
                    result = self._collect(future, tasks[index], lost_before=losses.get(index, 0))
                    if result is None:
                        # Its result died with its worker: run the job again under a fresh future (the
                        # lost one is cancelled, so only the new one can report). In flight count unchanged.
                        losses[index] = losses.get(index, 0) + 1
                        future.cancel()
                        pending[self._submit(tasks[index])] = index
                        continue
                    losses.pop(index, None)
                    on_result(index, result)
                for future, index, result in self._over_budget(pending, tasks):
                    del pending[future]
                    losses.pop(index, None)
                    on_result(index, result)
                for future in [f for f, index in pending.items() if not is_wanted(index)]:
                    losses.pop(pending.pop(future), None)
                    future.cancel()
                assert len(losses) <= len(pending), "a loss counted for a job no longer in flight"
                if position < len(order) and not is_wanted(order[position]):
                    position = len(order)
        finally:
            if pending:
                self.client.cancel(list(pending))

    def _submit(self, task: FarmTask) -> Future:
        return self.client.submit(run_farm_task, task, self.runner, self.system_logs, pure=False, retries=0)

    def _collect(self, future: Future, task: FarmTask, *, lost_before: int = 0) -> FarmTaskResult | None:
        """The job's one result from a future `wait` called done; None: its result was lost, submit it again.

        `lost_before` counts the job's earlier results lost with their worker (see RESULT_LOSSES_MAX).
        The status is read once: the client's thread may change it (finished -> lost) at any moment.
        A finished future whose data is lost while `result()` fetches it is Dask's own case: its
        gather waits for the scheduler to compute it again.
        """
        job = task.job
        status = future.status
        if status in NOT_DONE_STATUSES and lost_before < RESULT_LOSSES_MAX:
            return None
        if status == "finished":
            result: FarmTaskResult = future.result()
            if result.wall_seconds > self.limits.run_budget_s:
                result.outcome.violations.append(harness_problem_outcome(
                    job, HARNESS_LIVENESS,
                    f"the run took {result.wall_seconds:.1f} wall s on {result.worker}, over its budget of "
                    f"{self.limits.run_budget_s:g} s (a liveness problem of the harness, not of the system)",
                ).violations[0])
            return result
        error = future.exception() if status == "error" else None
        if status == "cancelled":
            message = (f"the cluster cancelled its run {lost_before + 1} times (the scheduler forgot it: was the "
                       f"scheduler restarted, or the client's connection lost?): check the scheduler's log, or run "
                       f"it alone with `omen-sim run {job.scenario} --seed {job.seed}`")
        elif status in NOT_DONE_STATUSES:
            message = (f"its result was lost with the worker holding it {lost_before + 1} times (its future is "
                       f"{status}); the cluster's workers keep dying: run it alone with `omen-sim run "
                       f"{job.scenario} --seed {job.seed}`")
        elif isinstance(error, KilledWorker):
            message = (f"every worker that ran it died ({error}); a run that kills its worker (memory, a crash "
                       f"of the interpreter) cannot be judged: run it alone with `omen-sim run {job.scenario} "
                       f"--seed {job.seed}`")
        elif error is not None:
            message = f"the run raised {type(error).__name__}: {error}"
        else:
            message = f"the cluster dropped the run (its future is {status})"
        return FarmTaskResult(harness_problem_outcome(job, HARNESS_ERROR, message), None, 0.0, None)

    def _over_budget(self, pending: dict[Future, int],
                     tasks: Sequence[FarmTask]) -> list[tuple[Future, int, FarmTaskResult]]:
        """Runs still executing past their budget: reported, cancelled, and their workers restarted."""
        if not pending:
            return []
        by_key = {str(future.key): future for future in pending}
        reports = self.client.run(running_runs, on_error="return")
        late: list[tuple[Future, int, FarmTaskResult]] = []
        late_workers: list[str] = []
        for address, running in sorted(reports.items()):
            if not isinstance(running, dict):
                continue  # a worker that is going away; its runs are the scheduler's to reschedule
            for key, elapsed_s in sorted(running.items()):
                future = by_key.get(key)
                if future is None or elapsed_s <= self.limits.run_budget_s:
                    continue
                index = pending[future]
                message = (f"the run was still executing after {elapsed_s:.1f} wall s on {address}, over its "
                           f"budget of {self.limits.run_budget_s:g} s (a liveness problem of the harness); "
                           f"it was cancelled and its worker restarted")
                late.append((future, index, FarmTaskResult(
                    harness_problem_outcome(tasks[index].job, HARNESS_LIVENESS, message), None, elapsed_s, address)))
                late_workers.append(address)
        for future, _, _ in late:
            future.cancel()
        if late_workers:
            # The run's thread cannot be stopped from outside, and a graceful restart waits for it: the
            # worker process exits at once instead (its event loop is free) and its nanny starts a fresh
            # one. Its other runs are rescheduled by Dask, as for any lost worker.
            addresses = sorted(set(late_workers))
            self.client.run(exit_worker_process, EXIT_HUNG_RUN, workers=addresses, on_error="ignore")
            self.restarted_workers.extend(addresses)
        return late
