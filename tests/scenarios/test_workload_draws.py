"""The workload's draws: `generate` calls `_randbelow` where it called `randrange` and `randint`, and
builds each planned signal positionally. The generator it replaced is kept here verbatim as the
spec: the same list, field for field, and the stream left in the same state, for any spec."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.workload import CATEGORIES, PlannedSignal, WorkloadSpec, generate


def spec_generate(spec: WorkloadSpec, rng: random.Random, *, start_s: float = 0.0) -> list[PlannedSignal]:
    """`generate` before its draws were spelled with `_randbelow` (verbatim but for the name)."""
    planned: list[PlannedSignal] = []
    at_s = start_s
    burst_left = 0
    for index in range(spec.signal_count):
        if burst_left > 0:
            burst_left -= 1
        else:
            at_s += rng.expovariate(spec.rate_per_s)
            if rng.random() < spec.burst_probability:
                burst_left = rng.randint(1, spec.burst_size_max)
        if planned and rng.random() < spec.reemit_fraction:
            original = planned[rng.randrange(len(planned))]
            event_id, input_event, category = original.event_id, original.input_event, original.category
        else:
            event_id = f"evt-{index:07d}"
            input_event = (("source", f"feed-{rng.randrange(8)}"), ("severity", rng.randint(1, 5)), ("n", index))
            category = CATEGORIES[rng.randrange(len(CATEGORIES))]
        lag_s = rng.uniform(0.0, spec.late_lag_s_max) if rng.random() < spec.late_fraction else 0.0
        planned.append(
            PlannedSignal(
                index=index,
                at_s=at_s,
                event_id=event_id,
                input_event=input_event,
                category=category,
                lag_s=lag_s,
                ruleset_version=spec.ruleset_version,
            )
        )
    assert all(a.at_s <= b.at_s for a, b in zip(planned, planned[1:])), "workload must be in time order"
    return planned


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    signal_count=st.integers(0, 300),
    burst_probability=st.floats(0, 1),
    burst_size_max=st.integers(1, 50),
    reemit_fraction=st.floats(0, 1),
    late_fraction=st.floats(0, 1),
    rate_per_s=st.floats(0.01, 1000),
)
def test_the_workload_is_the_one_the_old_draws_gave(seed: int, signal_count: int, burst_probability: float,
                                                    burst_size_max: int, reemit_fraction: float,
                                                    late_fraction: float, rate_per_s: float) -> None:
    spec = WorkloadSpec(signal_count=signal_count, burst_probability=burst_probability, burst_size_max=burst_size_max,
                        reemit_fraction=reemit_fraction, late_fraction=late_fraction, rate_per_s=rate_per_s)
    ours, theirs = random.Random(seed), random.Random(seed)
    assert generate(spec, ours, start_s=1.0) == spec_generate(spec, theirs, start_s=1.0)
    assert ours.getstate() == theirs.getstate()  # the stream is left where the old draws left it


def test_the_draw_generate_writes_out_is_still_randbelow_with_getrandbits() -> None:
    """`generate` writes `_randbelow_with_getrandbits`' steps out for the three draws of every signal
    (k = n.bit_length() bits, drawn again while not below n); the helper must still be exactly that,
    and still the one a Random uses."""
    import inspect

    source = inspect.getsource(random.Random._randbelow_with_getrandbits)
    body = [line.split("#")[0].strip() for line in source.splitlines()[2:] if line.split("#")[0].strip()]
    assert body == ["getrandbits = self.getrandbits", "k = n.bit_length()", "r = getrandbits(k)",
                    "while r >= n:", "r = getrandbits(k)", "return r"]
    assert random.Random(1)._randbelow.__func__ is random.Random._randbelow_with_getrandbits
