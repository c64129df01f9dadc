"""The history of a real run: every observation as a trace event `(index, time_s, node, kind, fields)`.

The same shape as the simulation's trace, so the same checkers read it. `time_s` is wall seconds
since the run began (monotonic); the index is the order in which the harness observed things, and
it is written to `history.jsonl` as it grows, so a run killed half-way still leaves its history.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO, Any

from sim.trace import TraceEvent

HISTORY_EVENTS_MAX = 5_000_000


class History:
    def __init__(self, path: Path | None) -> None:
        self.events: list[TraceEvent] = []
        self._started_s = time.monotonic()
        self._file: IO[str] | None = path.open("w", encoding="utf-8") if path is not None else None

    def elapsed_s(self) -> float:
        return time.monotonic() - self._started_s

    def record(self, node: str, kind: str, /, **fields: Any) -> int:
        index = len(self.events)
        assert index < HISTORY_EVENTS_MAX, "history event bound reached"
        event = TraceEvent(index, round(self.elapsed_s(), 6), node, kind, fields)
        self.events.append(event)
        if self._file is not None:
            self._file.write(json.dumps(list(event), sort_keys=True, default=str) + "\n")
        return index

    def of_kind(self, kind: str) -> list[TraceEvent]:
        return [event for event in self.events if event[3] == kind]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
