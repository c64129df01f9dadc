"""Helpers for the ledger specs: signals, a settable clock, an os wrapper that fails on cue."""
from __future__ import annotations

import errno
import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from omen import SignalEvent

DAY_1 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def make_event(index: int, emitted_at: datetime = DAY_1, category: str = "weather") -> SignalEvent:
    return SignalEvent.create(
        event_id=f"evt-{index}",
        input_event={"index": index},
        ruleset_version="r1",
        category=category,
        observed_at=emitted_at - timedelta(seconds=1),
        emitted_at=emitted_at,
        payload={"index": index},
    )


class WrappedFs:
    """The real `os`, with call counting, forced short writes and one-shot injected errors."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.short_write_bytes: int | None = None
        self._faults: list[tuple[str, Callable[[tuple[Any, ...]], bool], int]] = []

    def fail(self, name: str, err: int = errno.ENOSPC, when: Callable[[tuple[Any, ...]], bool] = lambda a: True) -> None:
        self._faults.append((name, when, err))

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if not callable(real):
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            for i, (fault_name, when, err) in enumerate(self._faults):
                if fault_name == name and when(args):
                    del self._faults[i]
                    raise OSError(err, os.strerror(err))
            if name == "write" and self.short_write_bytes is not None:
                fd, data = args
                return os.write(fd, bytes(data[: self.short_write_bytes]))
            return real(*args, **kwargs)

        return call


__all__ = ["DAY_1", "WrappedFs", "make_event"]


def count_scans(monkeypatch: Any, module: Any) -> list[int]:
    """Wrap `module.scan_frames`: one entry (the byte length) per segment that module CRC-scans.
    The memo specs count with it what a reader or a writer did not check again."""
    calls: list[int] = []
    original = module.scan_frames

    def counted(data, *args, **kwargs):  # noqa: ANN001, ANN202
        calls.append(len(data))
        return original(data, *args, **kwargs)

    monkeypatch.setattr(module, "scan_frames", counted)
    return calls
