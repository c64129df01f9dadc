from __future__ import annotations

import random

import pytest

from sim.disk import SimDisk


class TraceLog:
    """A stand-in for the kernel's trace: keeps (node, kind, fields) and returns an index."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def __call__(self, node: str, kind: str, **fields) -> int:
        self.events.append((node, kind, fields))
        return len(self.events) - 1

    def of_kind(self, kind: str) -> list[dict]:
        return [fields for _, k, fields in self.events if k == kind]


@pytest.fixture
def trace() -> TraceLog:
    return TraceLog()


@pytest.fixture
def disk(trace: TraceLog) -> SimDisk:
    return SimDisk(random.Random(7), trace)
