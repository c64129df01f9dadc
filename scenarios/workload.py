"""Workloads: the deterministic stream of signals a run feeds to OMEN.

A workload is drawn from the `workload` stream only, so changing a fault plan or a
latency never changes which signals are emitted or when. It covers what a real
pipeline sees: steady rates, bursts, runs that cross midnight, late arrivals (signals
emitted for an earlier day, after that day's partition was sealed), and re-emitted
signals (the same inputs again, so the same `signal_id`).
"""
from __future__ import annotations

import math
import operator
import random
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omen import SignalEvent

CATEGORIES = ("weather", "port_congestion", "geopolitical", "supplier_risk", "fx_shock")
SIGNALS_MAX = 2_000_000
_OBSERVED_BEFORE_EMITTED = timedelta(milliseconds=250)


class WorkloadSpec(BaseModel):
    """How many signals, how fast, and which awkward cases to mix in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal_count: int = Field(default=200, ge=0, le=SIGNALS_MAX)
    rate_per_s: float = Field(default=10.0, gt=0, le=1_000_000)
    burst_probability: float = Field(default=0.05, ge=0, le=1)
    burst_size_max: int = Field(default=20, ge=1, le=10_000)
    reemit_fraction: float = Field(default=0.05, ge=0, le=1)
    late_fraction: float = Field(default=0.0, ge=0, le=1)
    late_lag_s_max: float = Field(default=6 * 3600.0, ge=0)
    ruleset_version: str = "rules-2026.1"

    @model_validator(mode="after")
    def _lag_needs_late(self) -> "WorkloadSpec":
        if self.late_fraction > 0 and self.late_lag_s_max <= 0:
            raise ValueError("late_fraction > 0 needs late_lag_s_max > 0")
        return self


@dataclass(frozen=True)
class PlannedSignal:
    """One emission: at virtual time `at_s`, with an emitted_at `lag_s` before the node's now."""

    index: int
    at_s: float
    event_id: str
    input_event: tuple[tuple[str, str | int], ...]
    category: str
    lag_s: float
    ruleset_version: str

    def build(self, now: datetime) -> SignalEvent:
        # one dict of the inputs, its severity read before the event takes it (the same values the
        # two copies gave); a lag of 0 (every signal but a late one) emits at `now` itself, the
        # same moment and zone `now - timedelta(0)` is
        emitted_at = now - timedelta(seconds=self.lag_s) if self.lag_s else now
        input_event = dict(self.input_event)
        return SignalEvent.create(
            event_id=self.event_id,
            input_event=input_event,
            ruleset_version=self.ruleset_version,
            category=self.category,
            observed_at=emitted_at - _OBSERVED_BEFORE_EMITTED,
            emitted_at=emitted_at,
            payload={"index": self.index, "severity": input_event["severity"]},
        )


# `generate` fills these by name, in this order: a field added to PlannedSignal must be added there too
assert tuple(f.name for f in fields(PlannedSignal)) == (
    "index", "at_s", "event_id", "input_event", "category", "lag_s", "ruleset_version")


def generate(spec: WorkloadSpec, rng: random.Random, *, start_s: float = 0.0) -> list[PlannedSignal]:
    """The planned signals in time order. Pure: same spec and stream state, same list.

    WHY the draws are spelled this way: a run of a few hundred signals spent a few percent of its
    instructions here, half of it in `randrange` and `randint`, three Python frames each around
    one `_randbelow`. `randrange(n)` is `_randbelow(n)` and `randint(a, b)` is
    `a + _randbelow(b - a + 1)` for the positive widths drawn here, the same draws in the same
    order (`tests/scenarios/test_workload_draws.py` holds the list to the one they gave).
    `expovariate(rate)` is `-log(1.0 - random()) / rate`, its whole body, one frame less a signal.
    Each PlannedSignal gets its fields' dict filled in field order: the instance the frozen
    dataclass's `__init__` builds (one `object.__setattr__` per field), at about two thirds the cost.
    """
    planned: list[PlannedSignal] = []
    append = planned.append
    at_s = start_s
    burst_left = 0
    uniform_01, below, log = rng.random, rng._randbelow, math.log
    new_planned = object.__new__
    rate_per_s, burst_probability, burst_size_max = spec.rate_per_s, spec.burst_probability, spec.burst_size_max
    reemit_fraction, late_fraction, late_lag_s_max = spec.reemit_fraction, spec.late_fraction, spec.late_lag_s_max
    ruleset_version = spec.ruleset_version
    categories = len(CATEGORIES)
    assert burst_size_max >= 1  # the width `randint(1, burst_size_max)` draws below
    # `Random._randbelow` is `_randbelow_with_getrandbits` for a Random whose `random` and `getrandbits`
    # are its own (what `Random.__init_subclass__` picks); only then are its steps written out below
    inline_draws = (type(rng) is random.Random
                    and rng._randbelow.__func__ is random.Random._randbelow_with_getrandbits)
    getrandbits = rng.getrandbits
    bits_8, bits_5, bits_categories = (8).bit_length(), (5).bit_length(), categories.bit_length()
    for index in range(spec.signal_count):
        if burst_left > 0:
            burst_left -= 1
        else:
            at_s += -log(1.0 - uniform_01()) / rate_per_s  # rng.expovariate(rate_per_s)
            if uniform_01() < burst_probability:
                burst_left = 1 + below(burst_size_max)  # randint(1, burst_size_max)
        if planned and uniform_01() < reemit_fraction:
            original = planned[below(len(planned))]  # randrange(len(planned))
            event_id, input_event, category = original.event_id, original.input_event, original.category
        elif inline_draws:
            event_id = f"evt-{index:07d}"
            # `below(8)`, `below(5)`, `below(categories)`, in this order, each `_randbelow_with_getrandbits`'
            # three lines written out (one Python call less per draw, three draws a signal): `k` bits,
            # drawn again while the value is not below the bound (the same draws, the same values)
            source = getrandbits(bits_8)
            while source >= 8:
                source = getrandbits(bits_8)
            severity = getrandbits(bits_5)
            while severity >= 5:
                severity = getrandbits(bits_5)
            picked = getrandbits(bits_categories)
            while picked >= categories:
                picked = getrandbits(bits_categories)
            input_event = (("source", f"feed-{source}"), ("severity", 1 + severity), ("n", index))
            category = CATEGORIES[picked]
        else:
            event_id = f"evt-{index:07d}"
            # randrange(8), randint(1, 5), randrange(len(CATEGORIES)), in this order
            input_event = (("source", f"feed-{below(8)}"), ("severity", 1 + below(5)), ("n", index))
            category = CATEGORIES[below(categories)]
        lag_s = rng.uniform(0.0, late_lag_s_max) if uniform_01() < late_fraction else 0.0
        # PlannedSignal(index, at_s, event_id, input_event, category, lag_s, ruleset_version), its fields in order
        item = new_planned(PlannedSignal)
        item.__dict__.update(index=index, at_s=at_s, event_id=event_id, input_event=input_event,
                             category=category, lag_s=lag_s, ruleset_version=ruleset_version)
        append(item)
    times = [item.at_s for item in planned]
    assert all(map(operator.le, times, times[1:])), "workload must be in time order"
    return planned
