"""A sweep on a local cluster of two workers: the local sweep's summary, nothing lost, nothing twice."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from scenarios.farm import engine
from scenarios.farm.engine import HARNESS_ERROR, HARNESS_LIVENESS, Farm, FarmLimits
from scenarios.farm.journal import SweepPlan
from scenarios.farm.sweep_farm import farm_sweep
from scenarios.farm.task import running_runs
from scenarios.runner import run
from scenarios.sweep import sweep

SCENARIOS = ("calm", "hot_path_drops", "chaos")
SEEDS = range(0, 2)
WAIT_FOR_A_RUNNING_RUN_POLLS_MAX = 500
LOST_POLLS_MAX = 3000  # 30 s for the scheduler to see a SIGKILLed worker gone and tell the client


def comparable(summary) -> dict:  # noqa: ANN001
    document = summary.to_json()
    document.pop("wall_seconds")
    return document


@pytest.fixture(scope="module")
def local_summary(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The local process pool's answer for the same plan (two workers, like the cluster)."""
    plan = SweepPlan(SCENARIOS, SEEDS, None, str(tmp_path_factory.mktemp("local-repros")))
    return comparable(sweep(plan.jobs(), workers=2))


def journal_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_farm_gives_the_local_sweeps_summary(farm_client, local_summary: dict, tmp_path: Path) -> None:
    plan = SweepPlan(SCENARIOS, SEEDS, None, str(tmp_path / "repros"))
    seen: list[int] = []
    summary = farm_sweep(Farm(farm_client, FarmLimits()), plan, tmp_path / "journal.jsonl",
                         progress=lambda done, total, _: seen.append(done))
    assert comparable(summary) == local_summary
    assert local_summary["runs"] == len(SCENARIOS) * len(SEEDS) and local_summary["signals"] > 0
    assert seen == list(range(1, len(plan.jobs()) + 1))  # progress as each run finishes


def test_a_planted_bugs_repro_files_come_back_to_the_clients_directory(farm_client, tmp_path: Path) -> None:
    local_dir, farm_dir = tmp_path / "local", tmp_path / "farm"
    local = sweep(SweepPlan(("calm",), range(2), "push_before_ledger", str(local_dir)).jobs(), workers=1)
    plan = SweepPlan(("calm",), range(2), "push_before_ledger", str(farm_dir))
    farmed = farm_sweep(Farm(farm_client, FarmLimits()), plan, tmp_path / "journal.jsonl")
    assert local.violations and len(farmed.violations) == len(local.violations)
    assert [v["trace_indices"] for v in farmed.violations] == [v["trace_indices"] for v in local.violations]
    names = sorted(path.name for path in local_dir.glob("*.json"))
    assert names == ["calm-0-push_before_ledger.json", "calm-1-push_before_ledger.json"]
    assert sorted(path.name for path in farm_dir.glob("*.json")) == names
    for name in names:
        local_repro, farm_repro = json.loads((local_dir / name).read_text()), json.loads((farm_dir / name).read_text())
        assert farm_repro == local_repro  # same trace hash, plan, schedule, commit: replays the same
    assert {v["repro"] for v in farmed.violations} == {str(farm_dir / name) for name in names}


def test_a_worker_killed_in_the_middle_of_a_run_loses_no_seed_and_counts_none_twice(
        farm_client, local_summary: dict, tmp_path: Path) -> None:
    plan = SweepPlan(SCENARIOS, SEEDS, None, str(tmp_path / "repros"))
    killed: list[tuple[str, dict]] = []

    def kill_a_busy_worker(done: int, total: int, _summary) -> None:  # noqa: ANN001
        if killed:
            return
        for _ in range(WAIT_FOR_A_RUNNING_RUN_POLLS_MAX):
            busy = {address: runs for address, runs in farm_client.run(running_runs).items() if runs}
            if busy:
                address = sorted(busy)[0]
                pid = farm_client.run(os.getpid, workers=[address])[address]
                os.kill(pid, signal.SIGKILL)
                killed.append((address, busy[address]))
                return
            time.sleep(0.01)

    journal = tmp_path / "journal.jsonl"
    summary = farm_sweep(Farm(farm_client, FarmLimits()), plan, journal, progress=kill_a_busy_worker)
    assert killed and killed[0][1], "the test killed no worker in the middle of a run"
    # the clean local sweep has none: a violation here is the farm's, and its message says which
    farmed = comparable(summary)
    assert farmed["violations"] == local_summary["violations"], "; ".join(  # a string: pytest cuts a dict's repr
        f"{v['scenario']} seed {v['seed']} {v['invariant']}: {v['message']}" for v in farmed["violations"])
    assert farmed == local_summary
    indices = [line["index"] for line in journal_lines(journal)[1:]]
    assert sorted(indices) == list(range(len(plan.jobs())))


def test_a_run_whose_worker_died_after_it_finished_is_run_again_and_counted_once(
        farm_client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The window the kill test hits only sometimes, opened every time: `wait` has called a run done,
    then the worker holding its result dies before the farm takes it. Dask marks the future "lost"
    (and its `wait` counts lost futures as done); the farm must run the job again, not report it."""
    plan = SweepPlan(("calm",), range(2), None, str(tmp_path / "repros"))
    lost: list[str] = []
    dasks_wait = engine.wait

    def wait_then_kill_the_first_results_worker(futures, **kwargs):  # noqa: ANN001, ANN003, ANN202
        answer = dasks_wait(futures, **kwargs)
        finished = sorted((f for f in answer.done if f.status == "finished"), key=lambda f: str(f.key))
        if lost or not finished:
            return answer
        future = finished[0]
        [holder] = farm_client.who_has([future])[future.key]
        os.kill(farm_client.run(os.getpid, workers=[holder])[holder], signal.SIGKILL)
        for _ in range(LOST_POLLS_MAX):
            if future.status == "lost":
                break
            time.sleep(0.01)
        assert future.status == "lost", f"the client never heard that {future.key} was lost ({future.status})"
        lost.append(str(future.key))
        return answer

    monkeypatch.setattr(engine, "wait", wait_then_kill_the_first_results_worker)
    journal = tmp_path / "journal.jsonl"
    summary = farm_sweep(Farm(farm_client, FarmLimits()), plan, journal)
    assert lost, "no run finished on the cluster"
    assert summary.violations == [], "; ".join(v["message"] for v in summary.violations)  # the lost run's
    local = sweep(plan.jobs(), workers=1)
    assert comparable(summary) == comparable(local)
    assert sorted(line["index"] for line in journal_lines(journal)[1:]) == [0, 1]  # each once


def test_resume_finishes_a_sweep_from_a_journal_cut_short(farm_client, local_summary: dict,
                                                           tmp_path: Path) -> None:
    plan = SweepPlan(SCENARIOS, SEEDS, None, str(tmp_path / "repros"))
    journal = tmp_path / "journal.jsonl"
    farm_sweep(Farm(farm_client, FarmLimits()), plan, journal)
    header, *results = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = results[:4]
    # The client died after four results, in the middle of appending the fifth.
    journal.write_text(header + "".join(kept) + results[4][: len(results[4]) // 2], encoding="utf-8")
    ran: list[int] = []
    summary = farm_sweep(Farm(farm_client, FarmLimits()), None, journal, resume=True,
                         progress=lambda done, total, _: ran.append(done))
    assert comparable(summary) == local_summary
    assert ran == list(range(len(kept) + 1, len(plan.jobs()) + 1))  # only the missing jobs ran
    indices = [line["index"] for line in journal_lines(journal)[1:]]
    assert sorted(indices) == list(range(len(plan.jobs())))


def test_a_run_past_its_wall_clock_budget_is_reported_as_a_harness_liveness_problem(
        farm_client, tmp_path: Path) -> None:
    def hangs_on_seed_1(scenario: str, seed: int, **kwargs):  # noqa: ANN003, ANN202
        if seed == 1:
            time.sleep(120)  # a hung harness: never returns within the budget
        return run(scenario, seed, **kwargs)

    plan = SweepPlan(("calm",), range(3), None, str(tmp_path / "repros"))
    farm = Farm(farm_client, FarmLimits(run_budget_s=4.0), runner=hangs_on_seed_1)
    summary = farm_sweep(farm, plan, tmp_path / "journal.jsonl")
    assert summary.runs == 3 and summary.per_scenario["calm"] == {"runs": 3, "failed": 1}
    [problem] = summary.violations
    assert (problem["seed"], problem["invariant"]) == (1, HARNESS_LIVENESS)
    assert "budget of 4 s" in problem["message"]
    assert len(farm.restarted_workers) == 1  # the hung run's worker was freed


def test_a_run_that_raises_is_reported_on_its_seed(farm_client, tmp_path: Path) -> None:
    def raises_on_seed_0(scenario: str, seed: int, **kwargs):  # noqa: ANN003, ANN202
        if seed == 0:
            raise RuntimeError("harness broke")
        return run(scenario, seed, **kwargs)

    plan = SweepPlan(("calm",), range(2), None, str(tmp_path / "repros"))
    summary = farm_sweep(Farm(farm_client, FarmLimits(), runner=raises_on_seed_0), plan, tmp_path / "j.jsonl")
    assert summary.runs == 2
    [problem] = summary.violations
    assert (problem["seed"], problem["invariant"]) == (0, HARNESS_ERROR)
    assert "RuntimeError: harness broke" in problem["message"]


class CountingClient:
    """The real client, counting futures submitted and not yet released by the farm."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self._client = client
        self.submitted = 0

    def submit(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        self.submitted += 1
        return self._client.submit(*args, **kwargs)

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._client, name)


@pytest.mark.parametrize("runs_per_worker", [1, 3])
def test_runs_in_flight_never_exceed_the_limit_per_worker(farm_client, runs_per_worker: int,
                                                          tmp_path: Path) -> None:
    counting = CountingClient(farm_client)
    in_flight_max: list[int] = []
    plan = SweepPlan(("calm",), range(4), None, str(tmp_path / "repros"))

    def progress(done: int, total: int, _summary) -> None:  # noqa: ANN001
        in_flight_max.append(counting.submitted - (done - 1))  # before this result was taken off

    summary = farm_sweep(Farm(counting, FarmLimits(runs_per_worker=runs_per_worker)), plan, tmp_path / "j.jsonl",
                         progress=progress)
    assert summary.runs == 4 and counting.submitted == 4
    assert max(in_flight_max) <= runs_per_worker * 2
    assert max(in_flight_max) == min(4, runs_per_worker * 2)  # and the limit is used: the farm keeps workers fed


def test_the_journal_is_written_before_the_first_run_starts(farm_client, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    plan = SweepPlan(("calm",), range(5, 7), "push_before_ledger", str(tmp_path / "repros"))
    headers: list[dict] = []

    def first_result(done: int, total: int, _summary) -> None:  # noqa: ANN001
        if done == 1:
            headers.append(journal_lines(journal)[0])

    farm_sweep(Farm(farm_client, FarmLimits()), plan, journal, progress=first_result)
    assert headers == [{**plan.header()}]
    assert headers[0]["seeds"] == [5, 7] and headers[0]["bug"] == "push_before_ledger"
    from scenarios.sweep import JobOutcome

    rows = [(line["scenario"], line["seed"], JobOutcome(**line["outcome"]).seed) for line in journal_lines(journal)[1:]]
    assert sorted(rows) == [("calm", 5, 5), ("calm", 6, 6)]
