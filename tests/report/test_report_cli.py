"""`omen-sim report` and the --html flags of run, replay, sweep and hunt, as a user calls them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main

BUG_ARGS = ["--bug", "push_before_ledger"]


def test_run_writes_its_timeline_and_report_draws_its_trace_and_its_repro(tmp_path: Path) -> None:
    run_page, trace = tmp_path / "run.html", tmp_path / "run.jsonl"
    code = main(["run", "calm", "--seed", "1", *BUG_ARGS, "--html", str(run_page), "--trace-out", str(trace),
                 "--repro-dir", str(tmp_path / "repros")])
    assert code == 1
    repro = tmp_path / "repros" / "calm-1-push_before_ledger.json"
    assert f"omen-sim replay {repro}" in run_page.read_text(encoding="utf-8")
    assert main(["report", str(trace), "--html", str(tmp_path / "trace.html")]) == 0
    assert main(["report", str(repro), "--html", str(tmp_path / "repro.html")]) == 0
    assert main(["replay", str(repro), "--html", str(tmp_path / "replay.html")]) == 1  # the bug still fails
    trace_hash = json.loads(repro.read_text())["trace_hash"]
    for name in ("run.html", "trace.html", "repro.html", "replay.html"):
        assert trace_hash in (tmp_path / name).read_text(encoding="utf-8"), name
    assert (tmp_path / "repro.html").read_bytes() == (tmp_path / "replay.html").read_bytes()


def test_a_passing_run_gives_the_run_command_to_make_it_again(tmp_path: Path) -> None:
    page = tmp_path / "ok.html"
    assert main(["run", "calm", "--seed", "2", "--html", str(page), "--repro-dir", str(tmp_path)]) == 0
    assert "omen-sim run calm --seed 2</code>" in page.read_text(encoding="utf-8")


def test_sweep_and_hunt_write_summary_pages_and_report_redraws_them(tmp_path: Path) -> None:
    sweep_json, sweep_page = tmp_path / "sweep.json", tmp_path / "sweep.html"
    assert main(["sweep", "--scenario", "calm", "--seeds", "1", *BUG_ARGS, "--json", str(sweep_json),
                 "--html", str(sweep_page), "--repro-dir", str(tmp_path / "repros")]) == 1
    assert "omen-sim sweep summary" in sweep_page.read_text(encoding="utf-8")
    hunt_page = tmp_path / "hunt.html"
    assert main(["hunt", "--bug", "push_before_ledger", "--max-seeds", "3", "--html", str(hunt_page),
                 "--repro-dir", str(tmp_path / "repros")]) == 0
    assert "1 of 1 planted bugs caught" in hunt_page.read_text(encoding="utf-8")
    assert json.loads((tmp_path / "hunt.json").read_text())["bugs"][0]["caught"] is True
    again = tmp_path / "again.html"
    assert main(["report", str(tmp_path / "hunt.json"), "--html", str(again)]) == 0
    assert again.read_text(encoding="utf-8").count("<tr class=\"caught\">") == 1


@pytest.mark.parametrize("content", ['{"a": 1}', "not json at all", '{"scenario": "calm"}'])
def test_report_of_a_file_it_cannot_draw_exits_2_and_writes_nothing(tmp_path: Path, content: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    source, out = tmp_path / "input.json", tmp_path / "out.html"
    source.write_text(content, encoding="utf-8")
    assert main(["report", str(source), "--html", str(out)]) == 2
    assert "omen-sim report:" in capsys.readouterr().err
    assert not out.exists()


def test_report_of_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "missing.json"), "--html", str(tmp_path / "o.html")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_timeline_of_a_repro_is_the_same_bytes_in_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    assert main(["run", "calm", "--seed", "4", *BUG_ARGS, "--repro-dir", str(tmp_path / "repros")]) == 1
    repro = tmp_path / "repros" / "calm-4-push_before_ledger.json"
    pages = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"page-{hash_seed}.html"
        completed = subprocess.run(
            [sys.executable, "-m", "scenarios", "report", str(repro), "--html", str(out)],
            env={**os.environ, "PYTHONHASHSEED": hash_seed}, capture_output=True, text=True, timeout=300, check=False)
        assert completed.returncode == 0, completed.stderr
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]
