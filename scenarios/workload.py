"""Workloads: the deterministic stream of signals a run feeds to OMEN.

A workload is drawn from the `workload` stream only, so changing a fault plan or a
latency never changes which signals are emitted or when. It covers what a real
pipeline sees: steady rates, bursts, runs that cross midnight, late arrivals (signals
emitted for an earlier day, after that day's partition was sealed), and re-emitted
signals (the same inputs again, so the same `signal_id`).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
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


def generate(spec: WorkloadSpec, rng: random.Random, *, start_s: float = 0.0) -> list[PlannedSignal]:
    """The planned signals in time order. Pure: same spec and stream state, same list."""
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
