"""What a checker reads and what it reports."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from scenarios.ledger_oracle import OraclePartition
from scenarios.trace_kinds import require_kind
from sim.trace import TraceEvent

# faults "beyond the promise" (docs/architecture.md, glossary): they break what the system is
# built on (an fsync that returned success persisted the bytes; durable bytes stay as written; a
# write that returned its count stored those bytes, once). After them data may be lost, but never
# silently (`no_silent_loss`).
BEYOND_PROMISE_FAULTS = frozenset({"disk.fsync_lie", "disk.bitflip", "disk.lost_write", "disk.duplicate_write"})


def drops_manifest_rename(crash_fields: dict, partition: str) -> bool:
    """Whether a `disk.crash` event's fields say the power loss dropped the rename that put
    `partition`'s manifest in place (its directory fsync had failed or not happened yet): the older
    manifest is what the disk durably held, and it comes back."""
    marker = f"/{partition}: rename "
    return any(marker in op and "_manifest.json" in op for op in crash_fields.get("dropped_entry_ops") or [])


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
    """The trace and the final state of a run, read by checkers. Plain data: the world builds it
    through `scenarios.observers.final_context`; a real twin can build it from its own trace,
    file bytes and database the same way, or call this constructor directly."""

    events: list[TraceEvent]  # read by name: event.index, .time_s, .node, .kind, .fields
    final_visible: dict[str, OraclePartition]
    final_durable: dict[str, OraclePartition]
    stored_rows: list[tuple[Any, ...]]  # signal_id, ack_id, ledger_partition, ledger_sequence, emitted_at, received_at
    reconcile_state: dict[str, int]
    reader_view: dict[str, list[str] | str]  # partition -> signal ids the system's reader yields, or an error
    observations: Any
    faults_fired: dict[str, int]
    _by_kind: dict[str, list[TraceEvent]] = field(default_factory=dict)
    # facts more than one checker derives from the final state, derived once (see `placed`)
    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[TraceEvent]] = defaultdict(list)
        for event in self.events:
            grouped[event[3]].append(event)  # `event.kind`, by position: a tuple's item costs less than its name
        self._by_kind = dict(grouped)

    def of_kind(self, kind: str) -> list[TraceEvent]:
        """The events of one kind, in order. A kind outside `scenarios/trace_kinds.py` is an error
        (UnknownTraceKindError): a typo must not silently match nothing."""
        return self._by_kind.get(require_kind(kind), [])

    def first_fault_index(self, kinds: frozenset[str]) -> int | None:
        for event in self.of_kind("fault"):
            if event.fields.get("fault") in kinds:
                return event.index
        return None

    @property
    def beyond_promise(self) -> bool:
        return any(self.faults_fired.get(kind, 0) > 0 for kind in BEYOND_PROMISE_FAULTS)

    def stored_ids(self) -> list[str]:
        return [row[0] for row in self.stored_rows]

    # The context is plain data, built once and only read (a checker never mutates it), so a fact
    # derived from it is kept on it: several checkers ask the same questions of the final state.
    # Callers must not mutate what these return. Bounded: one value per method.

    def placed(self) -> dict[tuple[str, int], str]:
        """(partition, sequence) -> the signal id of the frame that holds it in the final valid
        frames (what reads see), the last one when a partition holds a sequence twice."""
        placed = self._derived.get("placed")
        if placed is None:
            placed = self._derived["placed"] = {
                (record.partition, record.sequence): record.signal_id
                for partition in self.final_visible.values()
                for record in partition.records
            }
        return placed

    def durable_ids(self) -> set[str]:
        """The signal ids of the valid frames that survive a power loss."""
        ids = self._derived.get("durable_ids")
        if ids is None:
            ids = self._derived["durable_ids"] = {
                record.signal_id for partition in self.final_durable.values() for record in partition.records}
        return ids


Checker = Callable[[CheckContext], Iterator[Violation]]
