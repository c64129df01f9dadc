"""`omen-sim hunt`: plant a bug, run seeds until an invariant catches it.

For each planted bug the hunt walks seeds 0, 1, 2, ... and, for each seed, the scenarios
the bug is expected to show in, until a run violates an invariant. It reports the seed
and scenario that caught it, the invariant, the seeds tried and the wall seconds: the
numbers behind the zoo table in the README.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from scenarios.errors import UsageError
from scenarios.gc_tuning import tune_gc_for_runs
from scenarios.repro import default_repro_path, git_commit, repro_from_result
from scenarios.runner import run

EXIT_OK, EXIT_ESCAPED, EXIT_USAGE = 0, 1, 2


@dataclass
class HuntReport:
    name: str
    caught: bool
    scenario: str | None
    seed: int | None
    invariant: str | None
    expected_invariant: str
    seeds_tried: int
    runs: int
    wall_seconds: float
    repro: str | None = None
    invariants: tuple[str, ...] = ()  # every invariant the catching run violated


TRIAL_SEED_STRIDE = 1_000_003  # trials walk disjoint seed ranges


def hunt_bug(name: str, *, max_seeds: int, repro_dir: Path | None = None, first_seed: int = 0) -> HuntReport:
    """Walk seeds first_seed, first_seed+1, ... (at most max_seeds) until a run catches the bug."""
    from scenarios.bugzoo import get_bug

    bug = get_bug(name)
    started = time.perf_counter()
    runs = 0
    for tried, seed in enumerate(range(first_seed, first_seed + max_seeds), start=1):
        for scenario in bug.scenarios:
            runs += 1
            result = run(scenario, seed, bug=name)
            if result.violations:
                invariants = sorted({v.invariant for v in result.violations})
                invariant = bug.invariant if bug.invariant in invariants else invariants[0]
                repro = None
                if repro_dir is not None:
                    repro = str(repro_from_result(result, git_commit()).save(
                        default_repro_path(repro_dir, scenario, seed, name)))
                return HuntReport(name, True, scenario, seed, invariant, bug.invariant, tried, runs,
                                  round(time.perf_counter() - started, 3), repro, tuple(invariants))
    return HuntReport(name, False, None, None, None, bug.invariant, max_seeds, runs,
                      round(time.perf_counter() - started, 3))


@dataclass(frozen=True)
class _Hunt:
    """One trial of one bug: what a worker process needs to run it (picklable)."""

    name: str
    max_seeds: int
    repro_dir: str | None
    first_seed: int


def _run_hunt(hunt: _Hunt, hunter: Callable[..., HuntReport] = hunt_bug) -> HuntReport:
    return hunter(hunt.name, max_seeds=hunt.max_seeds,
                  repro_dir=Path(hunt.repro_dir) if hunt.repro_dir is not None else None, first_seed=hunt.first_seed)


def _hunt_all(hunts: list[_Hunt], hunter: Callable[..., HuntReport] | None, workers: int) -> Iterator[HuntReport]:
    """The reports in the order of `hunts`, whatever the number of workers: each trial depends only
    on its bug and seeds, so trials run in worker processes and are yielded in a fixed order (the
    report is the same with one worker or many, but for the wall seconds)."""
    if hunter is not None or workers == 1 or len(hunts) < 2:
        # a hunter of its own (the farm's) parallelises inside it; one worker runs here
        yield from (_run_hunt(hunt, hunter or hunt_bug) for hunt in hunts)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(hunts)), initializer=tune_gc_for_runs) as pool:
        yield from pool.map(_run_hunt, hunts)  # chunksize 1: trials differ a hundredfold in length


def _per_bug(reports: Iterator[HuntReport], trials: int) -> Iterator[tuple[str, list[HuntReport]]]:
    """Group the reports, in order, into each bug's `trials` trials."""
    batch: list[HuntReport] = []
    for report in reports:
        batch.append(report)
        if len(batch) == trials:
            assert all(trial.name == batch[0].name for trial in batch)
            yield batch[0].name, batch
            batch = []
    assert not batch, "a bug's trials are yielded together"


def hunt_command(args: argparse.Namespace, hunter: Callable[..., HuntReport] | None = None) -> int:
    """`hunter` stands in for `hunt_bug` (same signature): the farm hunts seeds on a cluster."""
    from scenarios.bugzoo import BUGS, get_bug

    if args.list:
        width = max(len(name) for name in BUGS)
        for bug in BUGS.values():
            print(f"{bug.name.ljust(width)}  [{bug.invariant}] {bug.description}")
        return EXIT_OK
    if args.max_seeds < 1:
        raise UsageError("--max-seeds must be at least 1")
    if args.trials < 1:
        raise UsageError("--trials must be at least 1")
    workers = getattr(args, "workers", 1)
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    names = list(BUGS) if args.all else list(dict.fromkeys(args.bug))
    for name in names:
        get_bug(name)
    hunts = [_Hunt(name, args.max_seeds, args.repro_dir if trial == 0 else None, trial * TRIAL_SEED_STRIDE)
             for name in names for trial in range(args.trials)]
    documents = []
    all_caught = True
    for name, trials in _per_bug(_hunt_all(hunts, hunter, workers), args.trials):
        report = trials[0]
        all_caught = all_caught and all(t.caught for t in trials)
        median_seeds = statistics.median(t.seeds_tried for t in trials)
        median_s = statistics.median(t.wall_seconds for t in trials)
        verdict = (f"caught by {report.invariant} in {report.scenario} seed {report.seed}"
                   if report.caught else "ESCAPED")
        escaped = sum(not t.caught for t in trials)
        print(f"{name:32} {verdict}; median {median_seeds:g} seed(s), {median_s:.2f} s over {len(trials)} "
              f"trial(s)" + (f"; escaped in {escaped} trial(s)" if escaped else ""), flush=True)
        document = asdict(report)
        document.update({"trials": len(trials), "median_seeds": median_seeds, "median_wall_seconds": median_s,
                         "escaped_trials": escaped})
        documents.append(document)
    if args.json:
        Path(args.json).write_text(json.dumps({"bugs": documents}, indent=2, sort_keys=True) + "\n",
                                   encoding="utf-8")
    return EXIT_OK if all_caught else EXIT_ESCAPED
