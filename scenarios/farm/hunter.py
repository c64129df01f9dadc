"""A hunt on the farm: the local hunt's answer (the first catching seed, in its order), found in parallel.

The local hunt walks positions seed by seed and, within a seed, the bug's scenarios in order, and
stops at the first run that violates an invariant. The farm runs positions in that order with a
bounded number in flight; once a position catches the bug, later positions are no longer wanted
(submitted ones are cancelled) but earlier ones still finish, since one of them may catch it
first. The report is the local hunt's: same seed, scenario, invariant, seeds tried and runs.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.farm.engine import HARNESS_ERROR, HARNESS_LIVENESS, Farm
from scenarios.farm.task import FarmTask, FarmTaskResult
from scenarios.hunt import HuntReport
from scenarios.repro import Repro
from scenarios.sweep import Job

HARNESS_PROBLEMS = frozenset({HARNESS_LIVENESS, HARNESS_ERROR})


class _HuntTasks(Sequence[FarmTask]):
    """Position p is seed first_seed + p // S, scenario p % S: built on demand (max_seeds may be large)."""

    def __init__(self, bug: str, scenarios: tuple[str, ...], first_seed: int, max_seeds: int,
                 repro_dir: Path | None, commit: str | None) -> None:
        self.bug, self.scenarios, self.first_seed = bug, scenarios, first_seed
        self.max_seeds, self.repro_dir, self.commit = max_seeds, repro_dir, commit

    def __len__(self) -> int:
        return self.max_seeds * len(self.scenarios)

    def __getitem__(self, position):  # noqa: ANN001, ANN204 (Sequence's overloads)
        assert isinstance(position, int) and 0 <= position < len(self), position
        seed, scenario = divmod(position, len(self.scenarios))
        job = Job(self.scenarios[scenario], self.first_seed + seed, self.bug,
                  None if self.repro_dir is None else str(self.repro_dir))
        return FarmTask(job, self.commit)


@dataclass
class FarmHunter:
    """Stands in for `scenarios.hunt.hunt_bug`; collects the harness problems it met (never dropped)."""

    farm: Farm
    commit: str | None
    problems: list[dict] = field(default_factory=list)

    def __call__(self, name: str, *, max_seeds: int, repro_dir: Path | None = None, first_seed: int = 0) -> HuntReport:
        from scenarios.bugzoo import get_bug

        bug = get_bug(name)
        assert max_seeds >= 1, max_seeds
        started = time.perf_counter()
        tasks = _HuntTasks(name, bug.scenarios, first_seed, max_seeds, repro_dir, self.commit)
        caught: dict[int, FarmTaskResult] = {}

        def on_result(position: int, result: FarmTaskResult) -> None:
            found = [v for v in result.outcome.violations if v["invariant"] not in HARNESS_PROBLEMS]
            self.problems.extend({"bug": name, **v} for v in result.outcome.violations
                                 if v["invariant"] in HARNESS_PROBLEMS)
            if found:
                caught[position] = result

        def wanted(position: int) -> bool:
            return not caught or position < min(caught)

        self.farm.run(tasks, on_result, indices=range(len(tasks)), wanted=wanted)
        wall_s = round(time.perf_counter() - started, 3)
        if not caught:
            return HuntReport(name, False, None, None, None, bug.invariant, max_seeds, len(tasks), wall_s)
        position = min(caught)
        outcome = caught[position].outcome
        invariants = sorted({v["invariant"] for v in outcome.violations if v["invariant"] not in HARNESS_PROBLEMS})
        invariant = bug.invariant if bug.invariant in invariants else invariants[0]
        repro = None
        if repro_dir is not None and caught[position].repro_json is not None:
            assert outcome.repro is not None
            repro = str(Repro.model_validate_json(caught[position].repro_json).save(outcome.repro))
        return HuntReport(name, True, outcome.scenario, outcome.seed, invariant, bug.invariant,
                          position // len(bug.scenarios) + 1, position + 1, wall_s, repro, tuple(invariants))
