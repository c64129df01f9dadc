"""Real runs: the three processes on loopback, judged by the simulation's checkers.

The quick ones run in CI's test suite (a calm run, one planted bug, bad usage); the others are
`real_extended` (see conftest.py). `.ci/run` adds a ~30 s run with every nemesis on.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.invariants import CHECKERS
from scenarios.real.nemesis import FAMILIES, plan
from scenarios.real.run import RealRunConfig, run_real


def _violated(result) -> set[str]:  # noqa: ANN001
    return {name for name, verdict in result.invariants.items() if verdict["violated"]}


def test_a_calm_real_run_delivers_everything_converges_and_every_invariant_holds(tmp_path) -> None:
    result = run_real(RealRunConfig(seconds=6.0, seed=3, nemesis=frozenset(), run_dir=tmp_path / "run"))
    assert result.ok, [v.message for v in result.violations]
    assert result.converged
    assert set(result.invariants) == set(CHECKERS)
    assert all(verdict == {"checked": 1, "violated": 0} for verdict in result.invariants.values())
    assert result.faults == {}
    assert sum(result.emits.values()) == result.signals  # no kill: every signal was emitted
    summary = result.summary()
    for key in ("invariants", "faults", "signals", "violations", "wall_seconds", "seed", "bug"):
        assert key in summary
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    kinds = {event[3] for event in history}
    assert {"emit.result", "net.send", "ingest.result", "reconcile.result", "ledger.sealed", "converged"} <= kinds


def test_a_planted_push_before_ledger_is_caught_by_ledger_first_and_the_directory_is_kept(tmp_path) -> None:
    """Through the command line: exit 1, the verdict in the JSON, the kept directory printed."""
    out = tmp_path / "result.json"
    completed = subprocess.run(
        [sys.executable, "-m", "scenarios", "real", "--seconds", "6", "--seed", "1", "--nemesis", "none",
         "--bug", "push_before_ledger", "--json", str(out)], capture_output=True, timeout=300)
    assert completed.returncode == 1, completed.stderr.decode()[-2000:]
    summary = json.loads(out.read_text())
    assert summary["invariants"]["ledger_first"] == {"checked": 1, "violated": 1}
    assert summary["bug"] == "push_before_ledger" and summary["signals"] > 0
    first = next(v for v in summary["violations"] if v["invariant"] == "ledger_first")
    assert "before its ledger record was durable" in first["message"]
    kept = Path(summary["dir"])
    try:
        assert f"kept: {kept}" in completed.stderr.decode()
        for name in ("history.jsonl", "riskcast.db", "logs/omen.log", "logs/riskcast.log", "ledger", "result.json"):
            assert (kept / name).exists(), name
    finally:
        shutil.rmtree(kept, ignore_errors=True)


@pytest.mark.real_extended
def test_a_planted_ack_before_commit_is_caught_by_persist_before_ack(tmp_path) -> None:
    result = run_real(RealRunConfig(seconds=8.0, seed=1, nemesis=frozenset({"kill"}), bug="ack_before_commit",
                                    run_dir=tmp_path / "run"))
    assert "persist_before_ack" in _violated(result)


@pytest.mark.real_extended
def test_a_planted_select_then_insert_is_caught_by_exactly_once_under_duplicated_requests(tmp_path) -> None:
    result = run_real(RealRunConfig(seconds=15.0, seed=0, nemesis=frozenset({"proxy"}), bug="select_then_insert",
                                    run_dir=tmp_path / "run"))
    assert result.faults.get("proxy.duplicate", 0) > 0
    assert "exactly_once" in _violated(result)


@pytest.mark.real_extended
def test_a_planted_append_after_torn_tail_is_caught_once_a_tail_is_torn(tmp_path) -> None:
    seconds = 15.0
    seed = next(s for s in range(100) if any(a.torn_tail for a in plan(s, seconds, frozenset({"kill"}))))
    result = run_real(RealRunConfig(seconds=seconds, seed=seed, nemesis=frozenset({"kill"}),
                                    bug="append_after_torn_tail", run_dir=tmp_path / "run"))
    assert result.faults.get("disk.torn_tail", 0) >= 1
    assert {"recoverability", "no_silent_loss"} & _violated(result)


@pytest.mark.real_extended
def test_every_nemesis_on_a_clean_system_holds_every_invariant() -> None:
    result = run_real(RealRunConfig(seconds=20.0, seed=5, nemesis=frozenset(FAMILIES), group_commit=16))
    assert result.ok, [v.message for v in result.violations]
    assert result.converged
    for name in ("omen", "riskcast", "reconciler"):
        assert result.faults.get(f"kill.{name}", 0) >= 2 and result.faults.get(f"pause.{name}", 0) >= 1


@pytest.mark.parametrize("args, message", [
    (["--nemesis", "flood"], "--nemesis"),
    (["--seconds", "1"], "--seconds"),
    (["--rate", "0"], "--rate"),
    (["--bug", "no_such_bug"], "unknown planted bug"),
])
def test_bad_usage_exits_2_with_a_message(args: list[str], message: str) -> None:
    completed = subprocess.run([sys.executable, "-m", "scenarios", "real", *args], capture_output=True, timeout=60)
    assert completed.returncode == 2
    assert message in completed.stderr.decode()


def test_the_launcher_refuses_an_unknown_bug_or_program() -> None:
    for args in (["--bug", "nope", "--", "omen", "run"], ["--", "python"], ["omen"]):
        completed = subprocess.run([sys.executable, "-m", "scenarios.real.launch", *args], capture_output=True,
                                   timeout=60)
        assert completed.returncode == 2, args
