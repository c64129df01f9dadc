"""What a checker reads and what it reports."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from scenarios.ledger_oracle import OraclePartition

# faults that break the promise the system is built on: after them, data may be lost,
# but never silently (DESIGN.md invariant 7)
BEYOND_PROMISE_FAULTS = frozenset({"disk.fsync_lie", "disk.bitflip"})


@dataclass(frozen=True)
class Violation:
    invariant: str
    message: str
    signal_ids: tuple[str, ...] = ()
    partition: str | None = None
    trace_indices: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "invariant": self.invariant,
            "message": self.message,
            "signal_ids": list(self.signal_ids),
            "partition": self.partition,
            "trace_indices": list(self.trace_indices),
        }


@dataclass
class CheckContext:
    """The trace and the final state of a run, gathered by the world, read by checkers."""

    events: list[Any]  # sim.trace.TraceEvent: (index, time_s, node, kind, fields)
    final_visible: dict[str, OraclePartition]
    final_durable: dict[str, OraclePartition]
    stored_rows: list[tuple[Any, ...]]  # signal_id, ack_id, ledger_partition, ledger_sequence, emitted_at, received_at
    reconcile_state: dict[str, int]
    reader_view: dict[str, list[str] | str]  # partition -> signal ids the system's reader yields, or an error
    observations: Any
    faults_fired: dict[str, int]
    _by_kind: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        grouped: dict[str, list[Any]] = defaultdict(list)
        for event in self.events:
            grouped[event[3]].append(event)
        self._by_kind = dict(grouped)

    def of_kind(self, kind: str) -> list[Any]:
        return self._by_kind.get(kind, [])

    def first_fault_index(self, kinds: frozenset[str]) -> int | None:
        for event in self.of_kind("fault"):
            if event[4].get("fault") in kinds:
                return int(event[0])
        return None

    @property
    def beyond_promise(self) -> bool:
        return any(self.faults_fired.get(kind, 0) > 0 for kind in BEYOND_PROMISE_FAULTS)

    def stored_ids(self) -> list[str]:
        return [row[0] for row in self.stored_rows]


Checker = Callable[[CheckContext], Iterator[Violation]]
