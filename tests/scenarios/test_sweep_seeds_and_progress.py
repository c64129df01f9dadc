"""`omen-sim sweep`: exploring by default, reproducible on demand, several names per --scenario,
and a progress bar that redraws on a terminal and stays quiet in a log."""
from __future__ import annotations

import io
import json
import re
import shlex
from pathlib import Path

import pytest

from scenarios import base_seed as base_seed_module
from scenarios.cli import main
from scenarios.sweep import SweepSummary
from scenarios.sweep_progress import sweep_progress

ROOT = Path(__file__).resolve().parents[2]


def sweep_json(tmp_path: Path, name: str, *argv: str) -> dict:
    out = tmp_path / f"{name}.json"
    assert main(["sweep", *argv, "--json", str(out), "--repro-dir", str(tmp_path)]) == 0
    document = json.loads(out.read_text())
    document.pop("wall_seconds")
    return document


def test_several_names_after_one_scenario_flag_are_the_same_sweep_as_the_repeated_flag(tmp_path: Path) -> None:
    together = sweep_json(tmp_path, "together", "--scenario", "calm", "hot_path_drops", "--seeds", "2",
                          "--base-seed", "3")
    repeated = sweep_json(tmp_path, "repeated", "--scenario", "calm", "--scenario", "hot_path_drops",
                          "--seeds", "2", "--base-seed", "3")
    mixed = sweep_json(tmp_path, "mixed", "--scenario", "calm", "hot_path_drops", "--scenario", "calm",
                       "--seeds", "2", "--base-seed", "3")
    assert set(together["per_scenario"]) == {"calm", "hot_path_drops"}
    assert together == repeated == mixed


def test_without_a_seed_option_a_fresh_base_seed_is_drawn_printed_and_its_rerun_command_repeats_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = sweep_json(tmp_path, "drawn", "--scenario", "calm", "--seeds", "2")
    err = capsys.readouterr().err
    match = re.search(r"fresh base seed (\d+) .*rerun with: (omen-sim sweep .*)", err)
    assert match, err
    seed = int(match.group(1))
    assert (drawn["seed_start"], drawn["seed_stop"]) == (seed, seed + 2)
    rerun = shlex.split(match.group(2))[2:]  # the words after "omen-sim sweep"
    assert rerun[rerun.index("--base-seed") + 1] == str(seed)

    def no_drawing() -> int:
        raise AssertionError("a sweep given its seeds must not draw one")

    monkeypatch.setattr(base_seed_module, "draw_base_seed", no_drawing)
    again = sweep_json(tmp_path, "again", *rerun)
    assert again == drawn
    assert "fresh base seed" not in capsys.readouterr().err


def test_each_sweep_without_seeds_draws_its_own_base_seed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    draws = iter([11, 12])
    monkeypatch.setattr(base_seed_module, "draw_base_seed", lambda: next(draws))
    first = sweep_json(tmp_path, "first", "--scenario", "calm", "--seeds", "1")
    second = sweep_json(tmp_path, "second", "--scenario", "calm", "--seeds", "1")
    assert (first["seed_start"], second["seed_start"]) == (11, 12)


def test_drawn_base_seeds_come_from_the_os_within_bounds() -> None:
    seeds = {base_seed_module.draw_base_seed() for _ in range(20)}
    assert all(0 <= seed < base_seed_module.BASE_SEED_MAX for seed in seeds)
    assert len(seeds) > 1  # 20 draws from 2**32 values: all equal only if the draw is not random


def test_the_ci_sweep_names_its_seeds_so_it_never_explores() -> None:
    sweeps = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
              if not line.lstrip().startswith("#") and " sweep " in line]
    assert sweeps
    for line in sweeps:
        assert "--base-seed" in line or "--seed-range" in line, line


def test_a_negative_base_seed_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--scenario", "calm", "--seeds", "1", "--base-seed", "-1"]) == 2
    assert "--base-seed" in capsys.readouterr().err


def _summary(done: int, wall_seconds: float) -> SweepSummary:
    summary = SweepSummary(runs=done, wall_seconds=wall_seconds)
    summary.per_scenario = {"calm": {"runs": done, "failed": 1 if done > 50 else 0}}
    return summary


def test_the_progress_bar_prints_only_its_final_state_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with sweep_progress(100, stream=stream) as progress:
        for done in range(1, 101):
            progress(done, 100, _summary(done, done * 0.1))
    text = stream.getvalue()
    assert text.count("100/100") == 1 and "1 failed" in text
    assert len([line for line in text.splitlines() if line.strip()]) == 1
    assert "\r" not in text


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_redraws_in_place_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    stream = FakeTerminal()
    with sweep_progress(3, stream=stream) as progress:
        for done in range(1, 4):
            progress(done, 3, _summary(done, done * 1.0))
    text = stream.getvalue()
    assert "3/3" in text
    assert "\x1b[" in text  # cursor control: the line is redrawn, not appended
