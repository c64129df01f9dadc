"""The one place where "does this fault fire here?" is decided.

WHY one place: every fault decision of a run goes through `FaultInjector.decide`, at a named
injection point, so that (1) a fault can only fire when the plan enables it, (2) every fired fault
is one "fault" trace event and one schedule entry, (3) a run can be replayed from its schedule with
the random draws switched off, and (4) counters tell which enabled kinds never fired.

Occurrences are counted per (point, node, kind), from 1, and only for kinds that are on: so the
count of one kind at one point does not move when another kind is switched off, which keeps a
schedule meaningful while a shrinker removes entries or kinds.
"""
from __future__ import annotations

import math
import random
from typing import Callable

from faults.kinds import FAULT_KINDS, RESERVED_PARAM_NAMES
from faults.plan import FaultPlan, FaultSpec
from faults.schedule import FaultSchedule, ScheduleEntry, ScheduleKey

OCCURRENCE_KEYS_MAX = 1_000_000  # distinct (point, node, kind) triples: far above any real run
ASKED_SHAPES_MAX = 4_096  # distinct (point, kinds, node) questions remembered: a run asks a few dozen
_OFF = object()  # what the plan's specs map a kind that is not on to (a replayed kind maps to None)


def _decision_cell(spec: FaultSpec | None) -> list:
    """A question's count and what deciding it reads of its kind's spec: [0, window_s, probability, spec].

    WHY one cell per (point, node, kind): each question used to look its count up and store it back
    (the key's tuple hashed and compared twice) and read `window_s` and `probability` through the
    pydantic model's attribute hook; about 4 k instructions a kind asked, 25,000 times over a sweep's
    30 runs. The spec is frozen and the plan fixed at init, so what the cell holds of it never goes
    stale; a kind only a replayed schedule lists has no spec (None) and is decided by the schedule.
    """
    if spec is None:
        return [0, None, 0.0, None]
    return [0, spec.window_s, spec.probability, spec]


class FaultInjector:
    """Decides, records and counts faults for one run, from a plan (record mode) or a schedule (replay)."""

    def __init__(
        self,
        plan: FaultPlan,
        rng: random.Random,
        record: Callable[..., int],
        time_fn: Callable[[], float],
        *,
        schedule: FaultSchedule | None = None,
    ) -> None:
        assert isinstance(plan, FaultPlan), f"plan must be a FaultPlan, got {type(plan).__name__}"
        self.plan = plan
        self._rng = rng
        self._record = record
        self._time_fn = time_fn
        self._replay: dict[ScheduleKey, ScheduleEntry] | None = None
        self._specs: dict[str, FaultSpec | None] = dict(plan.kinds)
        if schedule is not None:
            self._replay = {}
            for entry in schedule.entries:
                assert entry.key() not in self._replay, f"schedule lists {entry.key()} twice"
                self._replay[entry.key()] = entry
                # A scheduled kind is decided (and counted) even if the plan no longer lists it.
                self._specs.setdefault(entry.kind, None)
        self._kinds_on = frozenset(self._specs)
        self.schedule = FaultSchedule()
        self.counters: dict[str, int] = {kind: 0 for kind in sorted(self._specs)}
        # (point, node, kind) -> [occurrences so far, the kind's window_s, probability, spec]: see
        # `_decision_cell`. Only kinds that are on get a cell; at most OCCURRENCE_KEYS_MAX of them.
        self._occurrences: dict[tuple[str, str, str], list] = {}
        # (point, kinds, node) -> ((kind, its cell), ...) for the asked kinds that are on, in the asked
        # order: see `_cells_asked`. A memo over `_occurrences`' cells (the same lists), so clearing it
        # when full loses no count.
        self._asked: dict[tuple[str, tuple[str, ...], str], tuple[tuple[str, list], ...]] = {}
        self.active = True

    @property
    def replaying(self) -> bool:
        return self._replay is not None

    @property
    def kinds_on(self) -> frozenset[str]:
        """The kinds this run may decide (the plan's, and the replayed schedule's); fixed at init.

        A kind outside it never draws, never counts an occurrence and never fires, so a hook may
        skip asking about it: the decisions, draws and schedule of the kinds that are on are the same.
        """
        return self._kinds_on

    def enabled(self, kind: str) -> bool:
        """True when `kind` may fire in this run (on in the plan, or listed in the replayed schedule)."""
        return self.active and kind in self._specs

    def decide(self, point: str, kind: str, node: str) -> dict | None:
        """Does `kind` fire at this occurrence of `point` on `node`? None = no; else its parameters."""
        found = self.decide_first(point, (kind,), node)
        return None if found is None else found[1]

    def decide_first(self, point: str, kinds: tuple[str, ...], node: str) -> tuple[str, dict] | None:
        """`decide(point, kind, node)` for each of `kinds` in order, up to the first that fires:
        (that kind, its parameters), or None when none does.

        WHY one call for the lot: a hook asks several kinds at one point (a disk write asks up to six,
        about 37 questions per simulated signal with every kind on), and each question is only a
        count and a draw. The kinds after the one that fires are not asked (no count, no draw), as
        when a hook stops at the first `decide` that returns parameters.
        """
        if not self.active:
            return None
        try:
            asked = self._asked.get((point, kinds, node))
        except TypeError:  # kinds in a list (unhashable): asked as its tuple, the memo's key
            kinds = tuple(kinds)
            asked = self._asked.get((point, kinds, node))
        if asked is None:
            asked = self._cells_asked(point, kinds, node)
        replay = self._replay
        for kind, cell in asked:
            occurrence = cell[0] + 1
            cell[0] = occurrence
            if replay is not None:
                entry = replay.get((point, node, kind, occurrence))
                if entry is None:
                    continue
                params = dict(entry.params)
            else:
                window_s = cell[1]
                if window_s is not None and not window_s[0] <= self._time_fn() <= window_s[1]:
                    continue
                probability = cell[2]
                if probability <= 0.0 or self._rng.random() >= probability:
                    continue
                params = self._draw_params(kind, cell[3])
            self._fire(point, kind, node, occurrence, params, scheduled=True)
            return kind, params
        return None

    def _cells_asked(self, point: str, kinds: tuple[str, ...], node: str) -> tuple[tuple[str, list], ...]:
        """The (kind, cell) of each kind of `kinds` that is on, in order, each cell made on first need.

        WHY: a hook asks the same kinds at the same point on the same node at every op and request
        (about 24 questions a simulated signal with every kind on); each question built its
        (point, node, kind) key and looked its cell up. The kinds that are on are fixed at init, and a
        cell, once made, is the one that kind's count lives in for the run, so the answer for one
        (point, kinds, node) never changes. A cell made here for a kind the loop does not reach (one
        fired before it) holds a count of 0, which is what no cell stands for.
        """
        occurrences = self._occurrences
        found: list[tuple[str, list]] = []
        for kind in kinds:
            key = (point, node, kind)
            cell = occurrences.get(key)
            if cell is None:
                spec = self._specs.get(kind, _OFF)
                if spec is _OFF:
                    continue  # off: never counted, never drawn (and never kept here)
                assert len(occurrences) < OCCURRENCE_KEYS_MAX, "too many distinct injection points"
                cell = occurrences[key] = _decision_cell(spec)
            found.append((kind, cell))
        if len(self._asked) >= ASKED_SHAPES_MAX:
            self._asked.clear()  # a memo over the cells: the counts stay in `_occurrences`
        asked = self._asked[(point, kinds, node)] = tuple(found)
        return asked

    def scripted(self, point: str, kind: str, node: str, **params: int | float | str) -> bool:
        """Report a fault the plan scripts explicitly (crashes, clock specs); False after heal().

        Scripted faults are re-derived from the plan on replay, so they are traced and counted
        but not written into the schedule.
        """
        if not self.active:
            return False
        self.counters.setdefault(kind, 0)
        self._fire(point, kind, node, 0, params, scheduled=False)
        return True

    def heal(self) -> None:
        """Nothing fires afterwards: the liveness phase of a run begins."""
        self.active = False

    def note(self, kind: str, **fields: object) -> int:
        """Record a non-fault event of the faults layer (e.g. "faults.heal") on the "faults" node."""
        return self._record("faults", kind, **fields)

    def never_fired(self) -> list[str]:
        """The enabled kinds that did not fire once (CI fails a sweep on these)."""
        return [kind for kind in sorted(self.counters) if self.counters[kind] == 0]

    def counters_sorted(self) -> dict[str, int]:
        return {kind: self.counters[kind] for kind in sorted(self.counters)}

    # ---- internals ---------------------------------------------------------------------------

    def _draw_params(self, kind: str, spec: FaultSpec) -> dict[str, int | float]:
        info = FAULT_KINDS[kind]
        params: dict[str, int | float] = {}
        for name in sorted(info.params):
            bounds = info.params[name]
            lo, hi = spec.params.get(name, (bounds.lo, bounds.hi))
            if bounds.integer:
                params[name] = self._rng.randint(math.ceil(lo), math.floor(hi))
            else:
                params[name] = self._rng.uniform(lo, hi)
        return params

    def _fire(
        self, point: str, kind: str, node: str, occurrence: int, params: dict, *, scheduled: bool
    ) -> None:
        assert not (set(params) & RESERVED_PARAM_NAMES), f"{kind}: reserved parameter name in {params}"
        self.counters[kind] += 1
        if scheduled:
            self.schedule.entries.append(
                ScheduleEntry(point=point, node=node, occurrence=occurrence, kind=kind, params=params)
            )
        # The fault kind goes in field "fault": Trace.record's own second argument is named `kind`.
        self._record(node, "fault", fault=kind, point=point, occurrence=occurrence, **params)
