"""The farm's journal: written before the farm starts, resumable after a torn append, typed errors otherwise."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.farm.journal import Journal, JournalError, SweepPlan
from scenarios.sweep import JobOutcome

PLAN = SweepPlan(("calm", "chaos"), range(3, 5), None, "repros")


def outcome(scenario: str, seed: int, trace_hash: str = "h") -> JobOutcome:
    return JobOutcome(scenario, seed, trace_hash, [], {}, {"net.drop_request": 1}, [], 7, 1.5, None)


def test_jobs_are_numbered_seed_major_in_the_plans_scenario_order() -> None:
    assert [(job.scenario, job.seed) for job in PLAN.jobs()] == [("calm", 3), ("chaos", 3), ("calm", 4),
                                                                 ("chaos", 4)]


def test_a_journal_reopens_to_its_plan_and_results(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal.create(path, PLAN)
    journal.append(2, outcome("calm", 4))
    journal.append(0, outcome("calm", 3))
    _, state = Journal.reopen(path)
    assert state.plan == PLAN
    assert state.outcomes == {0: outcome("calm", 3), 2: outcome("calm", 4)}


def test_a_torn_last_line_is_dropped_and_cut_so_appends_start_clean(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    Journal.create(path, PLAN).append(0, outcome("calm", 3))
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"index": 1, "scen')
    journal, state = Journal.reopen(path)
    assert list(state.outcomes) == [0] and path.read_bytes() == whole
    journal.append(1, outcome("chaos", 3))
    assert sorted(Journal.reopen(path)[1].outcomes) == [0, 1]


def test_a_job_journaled_twice_with_the_same_result_is_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    Journal.create(path, PLAN).append(1, outcome("chaos", 3))
    line = path.read_text().splitlines()[1]
    path.write_text(path.read_text() + line + "\n")
    assert list(Journal.reopen(path)[1].outcomes) == [1]


def test_a_job_journaled_twice_with_different_trace_hashes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    Journal.create(path, PLAN).append(1, outcome("chaos", 3, "one"))
    document = json.loads(path.read_text().splitlines()[1])
    document["outcome"]["trace_hash"] = "two"
    path.write_text(path.read_text() + json.dumps(document) + "\n")
    with pytest.raises(JournalError, match="different trace hashes"):
        Journal.reopen(path)


@pytest.mark.parametrize(("content", "message"), [
    ("", "no complete header"),
    ('{"journal": "something else"}\n', "not a farm sweep journal"),
    ('{"journal": "omen-farm-sweep", "format": 99}\n', "format 99"),
    ('{"journal": "omen-farm-sweep", "format": 1, "seeds": [5, 2], "scenarios": ["calm"], "bug": null, '
     '"repro_dir": null}\n', "malformed journal header"),
    ('{"journal": "omen-farm-sweep", "format": 1, "seeds": [0, 2], "scenarios": ["calm"], "bug": null, '
     '"repro_dir": null}\nnot json\n{"index": 0}\n', "line 2 is not JSON"),
    ('{"journal": "omen-farm-sweep", "format": 1, "seeds": [0, 2], "scenarios": ["calm"], "bug": null, '
     '"repro_dir": null}\n{"index": 9, "outcome": {}}\n', "not a journaled result|outside"),
])
def test_a_damaged_journal_is_a_typed_error_and_is_left_as_it_was(tmp_path: Path, content: str,
                                                                  message: str) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(content)
    with pytest.raises(JournalError, match=message):
        Journal.reopen(path)
    assert path.read_text() == content


def test_a_journal_naming_a_result_of_another_job_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    Journal.create(path, PLAN)
    document = {"index": 0, "scenario": "chaos", "seed": 3, "outcome": json.loads(json.dumps(
        outcome("chaos", 3).__dict__))}
    path.write_text(path.read_text() + json.dumps(document) + "\n")
    with pytest.raises(JournalError, match="job 0 is calm seed 3"):
        Journal.reopen(path)


def test_a_missing_journal_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="cannot read journal"):
        Journal.reopen(tmp_path / "absent.jsonl")
