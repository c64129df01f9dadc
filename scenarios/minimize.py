"""Shrink a failing run to the smallest fault schedule that still fails the same way.

WHY: a failing seed under a swarm plan fires dozens of faults, and most of them are noise. A user
debugging the failure wants the two or three that matter. No simulator we measure ourselves
against (FoundationDB, TigerBeetle's VOPR, turmoil) does this; Hypothesis does it for data, and
this module does it for fault schedules.

How: a run is replayed from its recorded schedule with the fault rng switched off
(`run(..., plan=<plan without random kinds>, schedule=...)`), so a candidate is just a subset of
the fired faults (plus a subset of the plan's scripted crashes and clock faults). A candidate
"still fails" when its violated invariants include the target invariant: the first violation of
the original run. Two phases, both within one budget of runs:

1. delta debugging (Zeller's ddmin) over the faults: try halves, then complements, then finer
   splits, down to a 1-minimal set (removing any single fault makes the failure go away);
2. parameter shrinking: each remaining numeric parameter is moved towards its simplest value
   (zero within the kind's limits; rate 1.0 for clock skew) by bisection, kept while still failing.

Every candidate run is deterministic, so results are cached by candidate. The budget is a number
of runs and, optionally, wall seconds read from a clock the caller passes in (this module reads
no clock of its own: it lives beside simulated code). When the budget runs out, the smallest
failing candidate found so far is returned.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from faults import FAULT_KINDS, FaultPlan, FaultSchedule, ScheduleEntry
from scenarios.repro import Repro, git_commit, repro_from_result
from scenarios.runner import RunResult, run
from sim.errors import HarnessError

MAX_RUNS_DEFAULT = 500
PARAM_BISECT_STEPS_MAX = 6  # per parameter: ~1.5% of the distance to its simplest value
ITEMS_MAX = 100_000  # faults in one schedule: far above any real run

# The value at which a parameter makes its fault the least disruptive, where zero is not it.
NEUTRAL_PARAM_VALUES: dict[tuple[str, str], float] = {("clock.skew", "rate"): 1.0}


class MinimizeError(HarnessError, ValueError):
    """The repro cannot be minimized; the message says why and what to do instead."""


class BudgetExhausted(Exception):
    """Internal: the run or time budget is spent; the search returns its best so far."""


# An item of the search: ("schedule" | "crash" | "clock", index into the original list).
Item = tuple[str, int]


@dataclass(frozen=True)
class MinimizeProgress:
    """Reported after every candidate run, for a progress line."""

    phase: str  # "check", "ddmin" or "params"
    runs: int
    runs_max: int
    faults_original: int
    faults_now: int
    failed: bool


@dataclass
class Candidate:
    """A replayable variant of the original run: which faults fire, with which parameters."""

    schedule: FaultSchedule
    plan: FaultPlan

    def fault_count(self) -> int:
        return len(self.schedule.entries) + len(self.plan.crashes) + len(self.plan.clock)

    def key(self) -> str:
        return self.plan.model_dump_json() + self.schedule.model_dump_json()


@dataclass
class MinimizeResult:
    invariant: str
    faults_original: int
    faults_minimal: int
    runs: int
    budget_exhausted: bool
    candidate: Candidate
    result: RunResult  # the run of the minimal candidate (it violates `invariant`)
    repro: Repro
    history: list[MinimizeProgress] = field(default_factory=list)


class _Search:
    """The budgeted, cached predicate "does this candidate still fail with the target invariant?"."""

    def __init__(
        self,
        repro: Repro,
        invariant: str,
        *,
        max_runs: int,
        max_seconds: float | None,
        clock: Callable[[], float] | None,
        progress: Callable[[MinimizeProgress], None] | None,
        faults_original: int,
    ) -> None:
        self.repro = repro
        self.invariant = invariant
        self.max_runs = max_runs
        self.max_seconds = max_seconds
        self.clock = clock
        self.started_s = clock() if clock is not None else 0.0
        self.progress = progress
        self.faults_original = faults_original
        self.runs = 0
        self.phase = "check"
        self.cache: dict[str, RunResult | None] = {}
        self.best: Candidate | None = None
        self.best_result: RunResult | None = None
        self.history: list[MinimizeProgress] = []

    def out_of_budget(self) -> bool:
        if self.runs >= self.max_runs:
            return True
        if self.max_seconds is not None and self.clock is not None:
            return self.clock() - self.started_s >= self.max_seconds
        return False

    def fails(self, candidate: Candidate) -> bool:
        key = candidate.key()
        if key in self.cache:
            return self.cache[key] is not None
        if self.out_of_budget():
            raise BudgetExhausted
        result = run(self.repro.scenario, self.repro.seed, plan=candidate.plan, overrides=self.repro.params,
                     schedule=candidate.schedule, bug=self.repro.bug)
        self.runs += 1
        failed = any(v.invariant == self.invariant for v in result.violations)
        self.cache[key] = result if failed else None
        if failed and (self.best is None or candidate.fault_count() <= self.best.fault_count()):
            self.best, self.best_result = candidate, result
        report = MinimizeProgress(self.phase, self.runs, self.max_runs, self.faults_original,
                                  self.best.fault_count() if self.best else self.faults_original, failed)
        self.history.append(report)
        if self.progress is not None:
            self.progress(report)
        return failed


def _items_of(schedule: FaultSchedule, plan: FaultPlan) -> list[Item]:
    items: list[Item] = [("schedule", i) for i in range(len(schedule.entries))]
    items += [("crash", i) for i in range(len(plan.crashes))]
    items += [("clock", i) for i in range(len(plan.clock))]
    assert len(items) <= ITEMS_MAX, f"{len(items)} faults: more than the minimizer handles"
    return items


def _candidate(items: list[Item], schedule: FaultSchedule, plan: FaultPlan) -> Candidate:
    chosen = set(items)
    entries = [e for i, e in enumerate(schedule.entries) if ("schedule", i) in chosen]
    crashes = [c for i, c in enumerate(plan.crashes) if ("crash", i) in chosen]
    clocks = [c for i, c in enumerate(plan.clock) if ("clock", i) in chosen]
    return Candidate(FaultSchedule(entries=entries), plan.model_copy(update={"crashes": crashes, "clock": clocks}))


def ddmin(items: list[Item], fails: Callable[[list[Item]], bool]) -> list[Item]:
    """Zeller's delta debugging: a 1-minimal sublist of `items` for which `fails` holds.

    `fails(items)` is assumed true on entry. Order is preserved. May raise BudgetExhausted from
    `fails`; the caller keeps the best candidate seen.
    """
    if fails([]):
        return []
    granularity = 2
    rounds_max = 4 * len(items) * max(1, len(items).bit_length()) + 8  # ddmin is O(n^2) worst case
    for _ in range(rounds_max):
        if len(items) < 2:
            return items
        chunks = _split(items, granularity)
        reduced = False
        for chunk in chunks:
            if fails(chunk):
                items, granularity, reduced = chunk, 2, True
                break
        if not reduced and len(chunks) > 2:
            for index in range(len(chunks)):
                complement = [item for j, chunk in enumerate(chunks) if j != index for item in chunk]
                if fails(complement):
                    items, granularity, reduced = complement, max(granularity - 1, 2), True
                    break
        if not reduced:
            if granularity >= len(items):
                return items
            granularity = min(len(items), 2 * granularity)
    return items


def _split(items: list[Item], parts: int) -> list[list[Item]]:
    assert 1 <= parts <= len(items)
    size, extra = divmod(len(items), parts)
    chunks, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        chunks.append(items[start:end])
        start = end
    return chunks


def simplest_value(kind: str, param: str) -> float:
    """The value that makes a parameter least disruptive: zero clamped into the kind's limit."""
    neutral = NEUTRAL_PARAM_VALUES.get((kind, param))
    bounds = FAULT_KINDS[kind].params[param]
    assert bounds.limit is not None
    lo, hi = bounds.limit
    value = neutral if neutral is not None else min(max(0.0, lo), hi)
    return int(math.ceil(value)) if bounds.integer else value


def _with_param(schedule: FaultSchedule, index: int, param: str, value: float) -> FaultSchedule:
    entries = list(schedule.entries)
    entry = entries[index]
    entries[index] = ScheduleEntry(point=entry.point, node=entry.node, occurrence=entry.occurrence,
                                   kind=entry.kind, params={**entry.params, param: value})
    return FaultSchedule(entries=entries)


def shrink_params(candidate: Candidate, fails: Callable[[Candidate], bool]) -> Candidate:
    """Move each numeric parameter towards its simplest value while the candidate still fails."""
    for index, entry in enumerate(candidate.schedule.entries):
        info = FAULT_KINDS.get(entry.kind)
        if info is None:
            continue
        for param in sorted(entry.params):
            value = candidate.schedule.entries[index].params[param]
            if param not in info.params or isinstance(value, str) or isinstance(value, bool):
                continue
            target = simplest_value(entry.kind, param)
            if value == target:
                continue
            trial = Candidate(_with_param(candidate.schedule, index, param, target), candidate.plan)
            if fails(trial):
                candidate = trial
                continue
            if info.params[param].integer:
                continue  # the only simpler integer was the target itself (a 0/1 switch)
            passing, failing = float(target), float(value)
            for _ in range(PARAM_BISECT_STEPS_MAX):
                middle = round((passing + failing) / 2.0, 6)
                if middle in (passing, failing):
                    break
                trial = Candidate(_with_param(candidate.schedule, index, param, middle), candidate.plan)
                if fails(trial):
                    candidate, failing = trial, middle
                else:
                    passing = middle
    return candidate


def target_invariant(repro: Repro) -> str:
    if not repro.violations:
        raise MinimizeError(
            "the repro records no violation, so there is nothing to minimize; pass the repro file a failing "
            "run wrote")
    invariant = repro.violations[0].get("invariant")
    if not isinstance(invariant, str) or not invariant:
        raise MinimizeError("the repro's first violation names no invariant; it was not written by omen-sim")
    return invariant


def minimize(
    repro: Repro,
    *,
    max_runs: int = MAX_RUNS_DEFAULT,
    max_seconds: float | None = None,
    clock: Callable[[], float] | None = None,
    progress: Callable[[MinimizeProgress], None] | None = None,
    shrink_parameters: bool = True,
    commit: str | None = None,
) -> MinimizeResult:
    """The smallest fault schedule found that still violates the repro's first invariant.

    Returns a new repro (with `replay_schedule=True`) that `omen-sim replay` runs from its schedule.
    `max_seconds` needs `clock` (seconds, monotonic): the caller owns the wall clock.
    """
    if max_runs < 1:
        raise MinimizeError(f"max_runs must be at least 1 (the first run checks the repro), got {max_runs}")
    if max_seconds is not None and (clock is None or not max_seconds > 0):
        raise MinimizeError("max_seconds needs a positive number of seconds and a clock to measure them")
    if repro.schedule is None:
        raise MinimizeError(
            "the repro has no recorded fault schedule; run the seed again with a current omen-sim to write one")
    invariant = target_invariant(repro)
    # Random kinds off: only the listed faults fire. Scripted crashes and clock faults stay candidates.
    base_plan = repro.plan.model_copy(update={"kinds": {}})
    schedule = repro.schedule
    items = _items_of(schedule, base_plan)
    search = _Search(repro, invariant, max_runs=max_runs, max_seconds=max_seconds, clock=clock,
                     progress=progress, faults_original=len(items))
    original = _candidate(items, schedule, base_plan)
    exhausted = False
    try:
        if not search.fails(original):
            raise MinimizeError(
                f"replayed from its schedule, the run no longer violates {invariant!r}; the code changed since "
                f"the repro was written (check out its commit {repro.git_commit or '(unknown)'}) or the "
                "failure depends on the random draws")
        search.phase = "ddmin"
        ddmin(items, lambda subset: search.fails(_candidate(subset, schedule, base_plan)))
        if shrink_parameters:
            search.phase = "params"
            assert search.best is not None
            shrink_params(search.best, search.fails)
    except BudgetExhausted:
        exhausted = True
    assert search.best is not None and search.best_result is not None, "the original run was checked first"
    best, result = search.best, search.best_result
    minimal = repro_from_result(result, commit if commit is not None else git_commit())
    minimal = minimal.model_copy(update={"replay_schedule": True, "schedule": best.schedule})
    return MinimizeResult(
        invariant=invariant,
        faults_original=len(items),
        faults_minimal=best.fault_count(),
        runs=search.runs,
        budget_exhausted=exhausted,
        candidate=best,
        result=result,
        repro=minimal,
        history=search.history,
    )
