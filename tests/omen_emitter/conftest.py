"""Fakes for emitter specs: an in-memory ledger and a scripted transport that records every call."""
from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from omen import SignalEvent
from omen.ledger import LedgerWriteError

BASE_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


def signal(number: int) -> SignalEvent:
    return SignalEvent.create(
        event_id=f"evt-{number}",
        input_event={"n": number},
        ruleset_version="rules-1",
        category="risk",
        observed_at=BASE_TIME - timedelta(seconds=1),
        emitted_at=BASE_TIME,
    )


class FakeLedger:
    """Writes to a list; `fail_with` makes the next writes raise LedgerWriteError."""

    def __init__(self) -> None:
        self.records: list[SignalEvent] = []
        self.fail_with: OSError | None = None
        self._sequence = itertools.count(1)

    def write(self, event: SignalEvent) -> SignalEvent:
        if self.fail_with is not None:
            raise LedgerWriteError(f"ledger write failed: {self.fail_with}", self.fail_with)
        written = event.with_ledger_metadata(
            partition=event.main_partition, sequence=next(self._sequence), written_at=event.emitted_at
        )
        self.records.append(written)
        return written


class ScriptedTransport:
    """Answers each post with the next scripted item: (status, body), an exception, or a coroutine fn."""

    def __init__(self, ledger: FakeLedger, script: list[object] | None = None) -> None:
        self.ledger = ledger
        self.script = list(script or [])
        self.calls: list[tuple[str, bytes, float, int]] = []

    async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        self.calls.append((url, body, timeout_s, len(self.ledger.records)))
        assert self.script, "the transport was called more often than the test scripted"
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            return await item()
        return item


def ok(ack_id: str, status: int = 200) -> tuple[int, bytes]:
    kind = "accepted" if status == 200 else "duplicate"
    return status, json.dumps({"status": kind, "ack_id": ack_id}).encode()


@pytest.fixture
def make_signal() -> Callable[[int], SignalEvent]:
    return signal


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def transport_for() -> Callable[..., ScriptedTransport]:
    return ScriptedTransport


@pytest.fixture
def answer() -> Callable[..., tuple[int, bytes]]:
    return ok


class ManualTime:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def manual_time() -> ManualTime:
    return ManualTime()


@pytest.fixture
def run() -> Callable[..., object]:
    return asyncio.run
