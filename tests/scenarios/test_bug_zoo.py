"""The bug zoo: every planted bug is caught, planting is undone cleanly, catches replay.

A test bed that catches nothing is worth nothing: these tests pass only when the
simulation finds each planted bug (FoundationDB's negative tests).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from scenarios.bugzoo import BUGS, planted
from scenarios.bugzoo.registry import UnknownBugError, get_bug
from scenarios.cli import main
from scenarios.hunt import hunt_bug
from scenarios.invariants import CHECKERS
from scenarios.repro import Repro
from scenarios.runner import run

SEEDS_BUDGET_IN_TESTS = 60  # CI's hunt allows 2,000; the zoo is tuned to be caught far sooner


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_zoo_holds_exactly_the_bugs_the_readme_table_lists_each_judged_by_a_known_invariant() -> None:
    table = README.read_text(encoding="utf-8").split("## The bug zoo", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z_0-9]+)`:", table, re.M)
    assert len(listed) == len(set(listed)), "a bug is listed twice"
    assert set(listed) == set(BUGS), (sorted(set(listed) - set(BUGS)), sorted(set(BUGS) - set(listed)))
    for bug in BUGS.values():
        assert bug.invariant in CHECKERS, f"{bug.name} names an unknown invariant {bug.invariant}"
        assert bug.scenarios and bug.description and bug.breaks


@pytest.mark.parametrize("name", sorted(BUGS))
def test_every_planted_bug_is_caught_by_the_invariant_it_names(name: str) -> None:
    report = hunt_bug(name, max_seeds=SEEDS_BUDGET_IN_TESTS)
    assert report.caught, f"{name} escaped {SEEDS_BUDGET_IN_TESTS} seeds"
    assert get_bug(name).invariant in report.invariants


def _raw(owner: object, attribute: str) -> object:
    """The attribute as stored (a class's own __dict__ entry, so classmethods compare by identity)."""
    return owner.__dict__[attribute] if isinstance(owner, type) else getattr(owner, attribute)


def test_planting_and_undoing_leaves_the_clean_system_passing() -> None:
    clean = run("calm", 2)
    assert clean.ok
    for name, bug in BUGS.items():
        targets = [(owner, attribute, _raw(owner, attribute)) for owner, attribute, _ in bug.patches()]
        with planted(name):
            assert any(_raw(owner, attribute) is not original for owner, attribute, original in targets), name
        for owner, attribute, original in targets:
            assert _raw(owner, attribute) is original, f"{name} left {attribute} patched"
    again = run("calm", 2)
    assert again.ok and again.trace_hash == clean.trace_hash


def test_a_bug_is_undone_even_when_the_run_raises() -> None:
    bug = get_bug("push_before_ledger")
    owner, attribute, _ = bug.patches()[0]
    original = _raw(owner, attribute)
    with pytest.raises(RuntimeError), planted("push_before_ledger"):
        raise RuntimeError("the harness failed mid-run")
    assert _raw(owner, attribute) is original


@pytest.mark.parametrize("name", ["per_segment_sequence", "select_then_insert", "short_write_ignored"])
def test_a_catch_replays_from_its_repro_file_with_the_same_trace_hash(name: str, tmp_path: Path) -> None:
    report = hunt_bug(name, max_seeds=SEEDS_BUDGET_IN_TESTS, repro_dir=tmp_path)
    assert report.caught and report.repro is not None
    repro = Repro.load(report.repro)
    assert repro.bug == name and repro.seed == report.seed
    again = run(repro.scenario, repro.seed, plan=repro.plan, overrides=repro.params, bug=repro.bug)
    assert again.trace_hash == repro.trace_hash
    assert {v["invariant"] for v in repro.violations} == {v.invariant for v in again.violations}


def test_an_unknown_bug_is_refused_with_the_list_of_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UnknownBugError):
        get_bug("no_such_bug")
    assert main(["hunt", "--bug", "no_such_bug"]) == 2
    assert "push_before_ledger" in capsys.readouterr().err
    assert main(["run", "calm", "--seed", "0", "--bug", "no_such_bug"]) == 2


def test_hunt_json_reports_each_bug(tmp_path: Path) -> None:
    import json

    out = tmp_path / "hunt.json"
    assert main(["hunt", "--bug", "push_before_ledger", "--max-seeds", "5", "--json", str(out),
                 "--repro-dir", str(tmp_path)]) == 0
    (bug,) = json.loads(out.read_text())["bugs"]
    assert {"name", "caught", "scenario", "seed", "invariant", "seeds_tried", "wall_seconds"} <= set(bug)
    assert bug["caught"] is True and bug["invariant"] == "ledger_first"


def test_a_hunt_on_two_workers_reports_what_one_worker_reports_in_the_same_order(tmp_path: Path) -> None:
    """Each trial depends only on its bug and seeds: parallel trials change the wall seconds, nothing else."""
    import json

    reports = []
    for workers in ("1", "2"):
        out = tmp_path / f"hunt-{workers}.json"
        assert main(["hunt", "--bug", "reader_skips_crc", "--bug", "push_before_ledger", "--trials", "2",
                     "--max-seeds", "20", "--workers", workers, "--json", str(out),
                     "--repro-dir", str(tmp_path / workers)]) == 0
        reports.append([{key: value for key, value in bug.items() if "wall" not in key and key != "repro"}
                        for bug in json.loads(out.read_text())["bugs"]])
    assert [bug["name"] for bug in reports[0]] == ["reader_skips_crc", "push_before_ledger"]
    assert reports[0] == reports[1]
    assert all(bug["caught"] for bug in reports[1])


def test_the_disk_profile_decides_what_is_a_bug() -> None:
    """A missing directory fsync loses a new segment on posix; on ext4-ordered the file's own fsync
    persists its entry, so the same code is correct there, and the test bed must say so."""
    posix = run("power_loss_metadata", 0, bug="no_dir_fsync_new_segment")
    ext4 = run("power_loss_ext4_ordered", 0, bug="no_dir_fsync_new_segment")
    assert "ledger_first" in {v.invariant for v in posix.violations}
    assert ext4.ok, ext4.violations
    assert not run("power_loss_ext4_ordered", 0, bug="replace_without_fsync").ok, "data is still not durable"
