"""Shared fixtures for RiskCast specs: signals with ledger placement, a fixed clock, counted ack ids."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from omen import SignalEvent

BASE_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


class FixedClock:
    def __init__(self, now: datetime = BASE_TIME) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def counted_ack_ids(prefix: str = "ack") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter):06d}"


def signal(number: int, *, partition: str | None = "2024-03-01", sequence: int | None = None,
           emitted_at: datetime = BASE_TIME) -> SignalEvent:
    event = SignalEvent.create(
        event_id=f"evt-{number}",
        input_event={"n": number},
        ruleset_version="rules-1",
        category="risk",
        observed_at=emitted_at - timedelta(seconds=1),
        emitted_at=emitted_at,
        payload={"score": number},
    )
    if partition is None:
        return event
    return event.with_ledger_metadata(partition=partition, sequence=sequence or number, written_at=emitted_at)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def make_signal() -> Callable[..., SignalEvent]:
    return signal


@pytest.fixture
def ack_ids() -> Callable[[], str]:
    return counted_ack_ids()
