"""FaultInjector: faults fire only through a plan, are traced, counted, recorded and replayable."""
from __future__ import annotations

import random

import pytest

from faults import FAULT_KINDS, FaultInjector, FaultPlan, FaultSchedule, FaultSpec


class FakeTrace:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def record(self, node: str, kind: str, **fields) -> int:
        self.events.append((node, kind, fields))
        return len(self.events) - 1


def make(plan: FaultPlan, *, seed: int = 1, now_s: float = 0.0, schedule: FaultSchedule | None = None):
    trace = FakeTrace()
    injector = FaultInjector(plan, random.Random(seed), trace.record, lambda: now_s, schedule=schedule)
    return injector, trace


def always(*kinds: str) -> FaultPlan:
    return FaultPlan(kinds={kind: FaultSpec(probability=1.0) for kind in kinds})


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_each_kind_fires_under_a_plan_that_enables_it(kind: str) -> None:
    injector, trace = make(always(kind))
    params = injector.decide("p", kind, "n")
    assert params is not None
    assert set(params) == set(FAULT_KINDS[kind].params)
    assert injector.counters[kind] == 1
    assert trace.events[0][1] == "fault" and trace.events[0][2]["fault"] == kind


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_no_kind_fires_under_a_plan_that_does_not_enable_it(kind: str) -> None:
    others = [name for name in FAULT_KINDS if name != kind]
    injector, trace = make(always(*others))
    assert all(injector.decide("p", kind, "n") is None for _ in range(100))
    assert kind not in injector.counters
    assert trace.events == []


def test_drawn_parameters_stay_inside_the_plan_ranges() -> None:
    plan = FaultPlan(kinds={"net.delay_spike": FaultSpec(probability=1.0, params={"delay_s": (1.0, 2.0)}),
                            "net.partition": FaultSpec(probability=1.0)})
    injector, _ = make(plan)
    for _ in range(200):
        assert 1.0 <= injector.decide("p", "net.delay_spike", "n")["delay_s"] <= 2.0
        assert injector.decide("p", "net.partition", "n")["refuse"] in (0, 1)


def test_a_kind_fires_only_inside_its_window() -> None:
    plan = FaultPlan(kinds={"net.refused": FaultSpec(probability=1.0, window_s=(10.0, 20.0))})
    clock = {"now_s": 0.0}
    trace = FakeTrace()
    injector = FaultInjector(plan, random.Random(1), trace.record, lambda: clock["now_s"])
    assert injector.decide("p", "net.refused", "n") is None
    clock["now_s"] = 15.0
    assert injector.decide("p", "net.refused", "n") == {}
    clock["now_s"] = 20.5
    assert injector.decide("p", "net.refused", "n") is None


def test_the_fire_rate_follows_the_probability() -> None:
    injector, _ = make(FaultPlan(kinds={"disk.enospc": FaultSpec(probability=0.1)}))
    fired = sum(injector.decide("disk.write", "disk.enospc", "omen") is not None for _ in range(10_000))
    assert 800 < fired < 1200


def test_nothing_fires_after_heal() -> None:
    injector, _ = make(always("net.refused"))
    assert injector.decide("p", "net.refused", "n") == {}
    injector.heal()
    assert injector.active is False
    assert injector.decide("p", "net.refused", "n") is None
    assert injector.scripted("plan.crashes[0]", "proc.crash_omen", "omen") is False


def test_counters_tell_which_enabled_kinds_never_fired() -> None:
    plan = FaultPlan(kinds={"net.refused": FaultSpec(probability=1.0), "disk.enospc": FaultSpec(probability=0.0)})
    injector, _ = make(plan)
    injector.decide("p", "net.refused", "n")
    injector.decide("p", "disk.enospc", "n")
    assert injector.counters_sorted() == {"disk.enospc": 0, "net.refused": 1}
    assert injector.never_fired() == ["disk.enospc"]


def test_each_fired_fault_is_one_trace_event_with_point_occurrence_and_params() -> None:
    plan = FaultPlan(kinds={"net.delay_spike": FaultSpec(probability=1.0)})
    injector, trace = make(plan)
    injector.decide("net.request", "net.delay_spike", "omen")
    injector.decide("net.request", "net.delay_spike", "omen")
    node, kind, fields = trace.events[1]
    assert (node, kind) == ("omen", "fault")
    assert fields["point"] == "net.request" and fields["occurrence"] == 2
    assert fields["fault"] == "net.delay_spike" and "delay_s" in fields


def random_run(injector: FaultInjector, steps: int = 500) -> list:
    """A stand-in workload: decisions at several points, kinds and nodes, in a fixed order."""
    out = []
    for step in range(steps):
        node = ("omen", "riskcast")[step % 2]
        for point, kind in (("disk.write", "disk.short_write"), ("disk.write", "disk.crash_at_op"),
                            ("net.request", "net.duplicate"), ("tick", "proc.crash_omen")):
            out.append(injector.decide(point, kind, node))
    return out


SWARMY = FaultPlan(kinds={"disk.short_write": FaultSpec(probability=0.05),
                          "disk.crash_at_op": FaultSpec(probability=0.01),
                          "net.duplicate": FaultSpec(probability=0.1),
                          "proc.crash_omen": FaultSpec(probability=0.02)})


def test_a_replayed_schedule_gives_the_same_decisions_and_trace_without_touching_the_rng() -> None:
    first, first_trace = make(SWARMY, seed=7)
    decisions = random_run(first)
    assert len(first.schedule) > 10
    schedule = FaultSchedule.from_json(first.schedule.to_json())

    class NoDraws(random.Random):
        def random(self):  # noqa: D401 - a tripwire
            raise AssertionError("replay drew from the fault rng")

    trace = FakeTrace()
    replay = FaultInjector(SWARMY, NoDraws(0), trace.record, lambda: 0.0, schedule=schedule)
    assert random_run(replay) == decisions
    assert trace.events == first_trace.events
    assert replay.schedule == first.schedule
    assert replay.counters == first.counters


def test_replaying_a_subset_of_the_schedule_fires_only_that_subset() -> None:
    first, _ = make(SWARMY, seed=7)
    random_run(first)
    keep = first.schedule.subset([0, 2])
    replay, trace = make(SWARMY, seed=99, schedule=keep)
    random_run(replay)
    assert replay.schedule == keep
    assert len(trace.events) == 2


def test_a_schedule_with_a_kind_the_plan_lacks_still_replays() -> None:
    first, _ = make(always("net.refused"))
    first.decide("p", "net.refused", "n")
    replay, _ = make(FaultPlan(), schedule=first.schedule)
    assert replay.decide("p", "net.refused", "n") == {}


def test_scripted_faults_are_traced_and_counted_but_not_scheduled() -> None:
    injector, trace = make(FaultPlan())
    assert injector.scripted("plan.crashes[0]", "proc.crash_omen", "omen", restart_after_s=1.0)
    assert injector.counters == {"proc.crash_omen": 1}
    assert len(injector.schedule) == 0
    assert trace.events == [("omen", "fault", {"fault": "proc.crash_omen", "point": "plan.crashes[0]",
                                                "occurrence": 0, "restart_after_s": 1.0})]


def test_decide_first_is_decide_kind_by_kind_up_to_the_first_that_fires() -> None:
    """The hooks ask a point's kinds in one call; it must count, draw, fire and trace exactly as asking
    them one by one and stopping at the first that fires, recording and replaying, with windows and
    with kinds that are off."""
    plan = FaultPlan(kinds={"disk.short_write": FaultSpec(probability=0.3),
                            "disk.crash_at_op": FaultSpec(probability=0.2, window_s=(2.0, 5.0)),
                            "disk.write_eio": FaultSpec(probability=0.4),
                            "net.duplicate": FaultSpec(probability=0.5)})
    kinds = ("disk.crash_at_op", "disk.enospc", "disk.write_eio", "disk.short_write", "net.duplicate")
    clock = [0.0]

    def twin(schedule: FaultSchedule | None = None):
        trace = FakeTrace()
        return FaultInjector(plan, random.Random(3), trace.record, lambda: clock[0], schedule=schedule), trace

    def one_by_one(injector: FaultInjector, point: str, asked: tuple[str, ...], node: str):
        for kind in asked:
            params = injector.decide(point, kind, node)
            if params is not None:
                return kind, params
        return None

    for schedule in (None, "replay"):
        batched, batched_trace = twin()
        single, single_trace = twin()
        if schedule == "replay":
            recorded, _ = twin()
            for step in range(300):
                clock[0] = step / 40
                recorded.decide_first("disk.write", kinds[step % 3:], ("omen", "riskcast")[step % 2])
            batched, batched_trace = twin(recorded.schedule)
            single, single_trace = twin(recorded.schedule)
        fired = 0
        for step in range(300):
            clock[0] = step / 40
            node = ("omen", "riskcast")[step % 2]
            found = batched.decide_first("disk.write", kinds[step % 3:], node)
            assert found == one_by_one(single, "disk.write", kinds[step % 3:], node), step
            fired += found is not None
        assert fired > 20
        assert batched_trace.events == single_trace.events
        assert batched.schedule == single.schedule and batched.counters == single.counters
        # the same count for every question asked (a cell made ahead for a kind not yet reached holds 0)
        assert ({key: cell for key, cell in batched._occurrences.items() if cell[0]}
                == {key: cell for key, cell in single._occurrences.items() if cell[0]})


def _decide_first_before_cells(injector: FaultInjector, point: str, kinds: tuple[str, ...], node: str,
                               counts: dict) -> tuple[str, dict] | None:
    """`FaultInjector.decide_first` as it was before its decision cells, verbatim but for the count
    store (`counts`, a plain dict of ints): the reference the cells are held to."""
    if not injector.active:
        return None
    specs = injector._specs
    occurrences = counts
    replay = injector._replay
    for kind in kinds:
        spec = specs.get(kind, _OFF)
        if spec is _OFF:
            continue
        key = (point, node, kind)
        occurrence = occurrences.get(key, 0) + 1
        occurrences[key] = occurrence
        if replay is not None:
            entry = replay.get((point, node, kind, occurrence))
            if entry is None:
                continue
            params = dict(entry.params)
        else:
            assert spec is not None
            window_s = spec.window_s
            if window_s is not None and not window_s[0] <= injector._time_fn() <= window_s[1]:
                continue
            probability = spec.probability
            if probability <= 0.0 or injector._rng.random() >= probability:
                continue
            params = injector._draw_params(kind, spec)
        injector._fire(point, kind, node, occurrence, params, scheduled=True)
        return kind, params
    return None


_OFF = object()


@pytest.mark.parametrize("asked_max", [4096, 1])  # 1: the memo of asked kinds cleared at every new question
@pytest.mark.parametrize("seed", range(6))
def test_decide_first_decides_counts_and_draws_as_before_its_decision_cells(
        seed: int, asked_max: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("faults.injector.ASKED_SHAPES_MAX", asked_max)
    rng = random.Random(seed)
    names = sorted(FAULT_KINDS)
    on = rng.sample(names, 6)
    kinds = {}
    for kind in on:
        window = None if rng.random() < 0.5 else (rng.uniform(0.0, 4.0), rng.uniform(4.0, 9.0))
        kinds[kind] = FaultSpec(probability=rng.choice([0.0, 0.1, 0.5, 1.0]), window_s=window)
    plan = FaultPlan(kinds=kinds)
    clock = [0.0]
    asked = [tuple(rng.sample(names, rng.randint(1, 5))) for _ in range(40)]
    points = ["disk.write", "disk.fsync", "net.request", "proc.tick"]

    def twin(schedule: FaultSchedule | None = None):
        trace = FakeTrace()
        return FaultInjector(plan, random.Random(seed), trace.record, lambda: clock[0], schedule=schedule), trace

    def drive(injector: FaultInjector, decide) -> list:
        found = []
        for step in range(400):
            clock[0] = step / 40
            found.append(decide(injector, points[step % 4], asked[step % 40], ("omen", "riskcast")[step % 3 == 0]))
            if step == 350:
                injector.heal()
        return found

    for mode in ("record", "replay"):
        schedule = None
        if mode == "replay":
            recorded, _ = twin()
            drive(recorded, lambda injector, *question: injector.decide_first(*question))
            schedule = recorded.schedule
            assert len(schedule) > 0
        cells, cells_trace = twin(schedule)
        before, before_trace = twin(schedule)
        counts: dict = {}
        got = drive(cells, lambda injector, *question: injector.decide_first(*question))
        want = drive(before, lambda injector, *question: _decide_first_before_cells(injector, *question, counts))
        assert got == want and sum(found is not None for found in got) >= 3
        assert cells_trace.events == before_trace.events
        assert cells.schedule == before.schedule and cells.counters == before.counters
        assert {key: cell[0] for key, cell in cells._occurrences.items() if cell[0]} == counts
        assert cells._rng.getstate() == before._rng.getstate()
