"""The omen-sim command line: exit codes, JSON fields, repro files, replay."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main

RUN_FIELDS = {"runs", "violations", "invariants", "faults", "signals", "sim_seconds", "wall_seconds",
              "scenario", "seed", "trace_hash"}


def test_list_json_is_a_list_of_names_and_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"ledger_crash_tail", "rollover_sequence", "power_loss_metadata", "hot_path_drops",
            "concurrent_duplicates", "late_arrivals", "disk_faults", "riskcast_crash",
            "chaos"} <= {item["name"] for item in listed}
    assert all(set(item) == {"name", "description"} and item["description"] for item in listed)


def test_run_json_carries_the_documented_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["run", "calm", "--seed", "1", "--json", "--repro-dir", str(tmp_path)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert RUN_FIELDS <= set(document)
    assert document["runs"] == 1 and document["violations"] == [] and len(document["trace_hash"]) == 64
    assert set(document["invariants"]) >= {"ledger_first", "exactly_once", "monotonic_sequence", "liveness"}


def test_sweep_json_file_summarises_every_run(tmp_path: Path) -> None:
    out = tmp_path / "sweep.json"
    code = main(["sweep", "--scenario", "calm", "--scenario", "hot_path_drops", "--seeds", "2",
                 "--json", str(out), "--repro-dir", str(tmp_path)])
    assert code == 0
    document = json.loads(out.read_text())
    assert document["runs"] == 4 and document["violations"] == []
    assert {"invariants", "faults", "signals", "sim_seconds", "wall_seconds"} <= set(document)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "no_such_scenario", "--seed", "1"],
        ["run", "calm", "--seed", "-3"],
        ["sweep", "--seed-range", "9:3"],
        ["sweep", "--seed-range", "nonsense"],
        ["sweep", "--seeds", "0"],
        ["replay", "/nonexistent/repro.json"],
        ["frobnicate"],
    ],
)
def test_bad_usage_exits_2_with_a_message(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main(argv))
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip()


def test_an_unreadable_repro_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["replay", str(broken)]) == 2
    assert "not JSON" in capsys.readouterr().err


def test_a_failing_run_writes_a_repro_that_replays_with_the_same_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "calm", "--seed", "0", "--bug", "push_before_ledger", "--repro-dir", str(tmp_path)])
    assert code == 1
    repros = sorted(tmp_path.glob("*.json"))
    assert len(repros) == 1
    err = capsys.readouterr().err
    assert f"omen-sim replay {repros[0]}" in err
    assert main(["replay", str(repros[0]), "--json"]) == 1  # the bug is planted again: still failing
    document = json.loads(capsys.readouterr().out)
    assert document["same"] is True and document["violations"]


def test_determinism_runs_each_seed_in_two_processes_and_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["determinism", "--scenario", "chaos", "--seeds", "1", "--seed-start", "4"]) == 0
    assert "chaos seed 4: same" in capsys.readouterr().out


def test_run_writes_the_trace_as_canonical_json_lines_whose_hash_is_the_trace_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    trace_file = tmp_path / "trace.jsonl"
    assert main(["run", "calm", "--seed", "2", "--json", "--trace-out", str(trace_file),
                 "--repro-dir", str(tmp_path)]) == 0
    document = json.loads(capsys.readouterr().out)
    lines = trace_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == document["trace_events"] and json.loads(lines[0])["i"] == 0
    assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == document["trace_hash"]
