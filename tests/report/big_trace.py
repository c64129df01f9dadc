"""A trace of any length made by tiling a real run's trace: what the 100,000-event page is built from.

WHY tile and not simulate: a 100,000-event run takes a minute of simulation; the page cost depends
on the mix of events, not on how they were made. Each copy is shifted in time and gets its own
signal ids and request numbers, so lives and searches stay distinct across copies.
"""
from __future__ import annotations

from typing import Any

from sim.trace import TraceEvent

TILED_EVENTS_MAX = 2_000_000


def tiled_events(base: list[Any], count: int) -> list[TraceEvent]:
    assert base, "tile a non-empty trace"
    assert 0 < count <= TILED_EVENTS_MAX, count
    span_s = max(event[1] for event in base) + 1.0
    req_stride = 1 + max((int(event[4]["req"]) for event in base if "req" in event[4]), default=0)
    events: list[TraceEvent] = []
    copy = 0
    while len(events) < count:
        for _index, time_s, node, kind, fields in base:
            if len(events) >= count:
                break
            if copy:
                fields = dict(fields)
                if "signal_id" in fields:
                    fields["signal_id"] = f"{fields['signal_id']}-{copy}"
                if "req" in fields:
                    fields["req"] = int(fields["req"]) + copy * req_stride
            events.append(TraceEvent(len(events), time_s + copy * span_s, node, kind, fields))
        copy += 1
    return events
