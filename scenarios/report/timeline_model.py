"""The page model of a timeline: lanes, the folded time axis, bands, spans, faults, violations.

Built once in Python, embedded in the page as one JSON document, drawn by the page's script.
WHY columnar (one array per attribute, not one object per event): a 100,000-event trace must
become a page in well under five seconds and parse in the browser in a blink; parallel arrays of
numbers plus each event's canonical fields text are the cheapest form for both ends.

Everything here is a pure function of the trace and the header: same trace, same bytes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from scenarios.report.time_axis import fold_gaps
from scenarios.report.trace_source import TimelineEvents

__all__ = ["LANES", "TimelineHeader", "TimelineModel", "build_model", "lane_of"]

NODE_LANES = ("omen", "riskcast", "reconciler")
LANES = (*NODE_LANES, "network", "disk", "run")
LANE_INDEX = {name: index for index, name in enumerate(LANES)}
_DISK_KINDS = frozenset({"ledger.sealed", "ledger.recovered"})
VIOLATIONS_MAX = 500  # the runner keeps at most 10 per invariant; a hand-fed list is bounded too
CITED_PER_VIOLATION_MAX = 200


@dataclass(frozen=True)
class TimelineHeader:
    """What the page says at the top: which run this is and how to get it again."""

    source: str  # what the page was made from (a run, a repro file, a trace file)
    scenario: str | None = None
    seed: int | None = None
    bug: str | None = None
    plan: dict[str, Any] | None = None
    replay_command: str | None = None
    expected_trace_hash: str | None = None  # a repro's recorded hash, to show whether it replayed
    notes: tuple[str, ...] = ()


@dataclass
class TimelineModel:
    header: TimelineHeader
    trace_hash: str
    sim_seconds: float
    event_count: int
    violations: list[dict[str, Any]]
    document_text: str = field(repr=False)  # the JSON the page script reads


def lane_of(node: str, kind: str, fields: dict) -> int:
    """The lane an event is drawn in: faults by what they hit, traffic on the network, the rest by node."""
    if kind == "fault":
        fault = str(fields.get("fault", ""))
        if fault.startswith("disk."):
            return LANE_INDEX["disk"]
        if fault.startswith("net."):
            return LANE_INDEX["network"]
    elif kind.startswith("net."):
        return LANE_INDEX["network"]
    elif kind.startswith("disk.") or kind in _DISK_KINDS:
        return LANE_INDEX["disk"]
    return LANE_INDEX[node] if node in NODE_LANES else LANE_INDEX["run"]


def _bands(events: Any, end_s: float) -> list[dict[str, Any]]:
    """Crash-to-restart bands per node (a node still down at the end is down to the end)."""
    down_since: dict[str, tuple[float, int, str]] = {}
    bands: list[dict[str, Any]] = []
    for index, time_s, node, kind, fields in events:
        if kind == "node.crash" and node not in down_since:
            down_since[node] = (time_s, index, str(fields.get("cause", "")))
        elif kind == "node.restart" and node in down_since:
            start_s, start_index, cause = down_since.pop(node)
            bands.append({"lane": LANE_INDEX.get(node, LANE_INDEX["run"]), "t0": start_s, "t1": time_s,
                          "i0": start_index, "i1": index, "label": f"{node} down ({cause})"})
    for node in sorted(down_since):
        start_s, start_index, cause = down_since[node]
        bands.append({"lane": LANE_INDEX.get(node, LANE_INDEX["run"]), "t0": start_s, "t1": end_s,
                      "i0": start_index, "i1": None, "label": f"{node} down ({cause}), never restarted"})
    return sorted(bands, key=lambda band: (band["t0"], band["lane"]))


def _spans(events: Any, heal_s: float | None) -> list[dict[str, Any]]:
    """Network partitions from cut to heal (the earlier of `until_s` and the run's heal)."""
    spans: list[dict[str, Any]] = []
    open_until: dict[tuple[str, str], dict[str, Any]] = {}
    for index, time_s, _node, kind, fields in events:
        if kind != "net.partition":
            continue
        a, b = sorted((str(fields.get("a", "?")), str(fields.get("b", "?"))))
        until_s = float(fields.get("until_s", time_s))
        if heal_s is not None and heal_s >= time_s:
            until_s = min(until_s, heal_s)
        current = open_until.get((a, b))
        if current is not None and current["t1"] >= time_s:
            current["t1"] = max(current["t1"], until_s)  # one cut seen by several requests
            continue
        mode = "refused" if fields.get("refuse") else "dropped"
        span = {"lane": LANE_INDEX["network"], "t0": time_s, "t1": until_s, "i0": index,
                "label": f"partition {a} | {b} ({mode})"}
        open_until[(a, b)] = span
        spans.append(span)
    return spans


def _violation(document: dict[str, Any], event_count: int) -> dict[str, Any]:
    cited = [int(i) for i in document.get("trace_indices", []) if 0 <= int(i) < event_count]
    return {
        "invariant": str(document.get("invariant", "?")),
        "message": str(document.get("message", "")),
        "signal_ids": [str(s) for s in document.get("signal_ids", [])],
        "partition": document.get("partition"),
        "trace_indices": cited[:CITED_PER_VIOLATION_MAX],
    }


def _format_times(values: Any) -> str:
    return "[" + ",".join("%.6f" % value for value in values) + "]"


def build_model(source: TimelineEvents, header: TimelineHeader,
                violations: list[dict[str, Any]] | None = None) -> TimelineModel:
    events = source.events
    kinds: dict[str, int] = {}
    nodes: dict[str, int] = {}
    lanes: list[int] = []
    kind_ids: list[int] = []
    node_ids: list[int] = []
    times: list[float] = []
    heal_s: float | None = None
    marks: list[dict[str, Any]] = []
    lane_cache: dict[tuple[str, str], int] = {}  # the lane depends on (node, kind) alone, but for faults
    for index, time_s, node, kind, fields in events:
        times.append(time_s)
        kind_ids.append(kinds.setdefault(kind, len(kinds)))
        node_ids.append(nodes.setdefault(node, len(nodes)))
        if kind == "fault":
            lanes.append(lane_of(node, kind, fields))
        else:
            lane = lane_cache.get((node, kind))
            if lane is None:
                lane = lane_cache[(node, kind)] = lane_of(node, kind, fields)
            lanes.append(lane)
        if node == "world" and kind in ("heal", "converged", "not_converged"):
            marks.append({"t": time_s, "i": index, "label": kind.replace("_", " ")})
            if kind == "heal" and heal_s is None:
                heal_s = time_s
    end_s = max(times) if times else 0.0
    axis = fold_gaps(times)
    cited = [_violation(v, len(events)) for v in (violations or [])[:VIOLATIONS_MAX]]
    meta = {
        "lanes": list(LANES),
        "kinds": list(kinds),
        "nodes": list(nodes),
        "breaks": [[t, x] for t, x in axis.breaks],
        "gaps": [list(gap) for gap in axis.gaps],
        "bands": _bands(events, end_s),
        "spans": _spans(events, heal_s),
        "marks": marks,
        "violations": cited,
        "trace_hash": source.trace_hash,
    }
    document_text = (
        json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True)[:-1]
        + ',"t":' + _format_times(times)
        + ',"lane":[' + ",".join(map(str, lanes)) + "]"
        + ',"kind":[' + ",".join(map(str, kind_ids)) + "]"
        + ',"node":[' + ",".join(map(str, node_ids)) + "]"
        + ',"fields":' + source.fields_json + "}"
    )
    return TimelineModel(header, source.trace_hash, end_s, len(events), cited, document_text)
