"""Where a timeline's events come from: a run's in-memory trace, or a JSON Lines trace file.

WHY one shape for both: the page model reads (index, time_s, node, kind, fields) and the
JSON of every event's fields, whether the events were just recorded or read back from `omen-sim
run --trace-out`. A file's fields text is cut out of its canonical lines rather than encoded again.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from scenarios.report.errors import ReportInputError
from sim.trace import canonical_line, hash_lines

__all__ = ["TraceFileError", "TimelineEvents", "events_from_trace", "events_from_jsonl"]

TRACE_FILE_BYTES_MAX = 2 * 1024 * 1024 * 1024  # a page of more than this would not open anyway
TRACE_EVENTS_MAX = 5_000_000
_FIELDS_PREFIX = '{"fields":'
# In canonical text a quote inside a string is always escaped, so the last unescaped `,"i":` of a
# line is the top-level index key: everything between the prefix and it is the fields object.
_INDEX_KEY = ',"i":'


class TraceFileError(ReportInputError):
    """A trace file could not be read: missing, not JSON Lines, or not a trace."""


@dataclass(frozen=True)
class TimelineEvents:
    """The events of one run: what the page model is built from."""

    events: Sequence[Any]  # (index, time_s, node, kind, fields) tuples, in trace order
    fields_json: str  # a JSON array: each event's fields, in trace order
    trace_hash: str


def _fields_text(line: str) -> str:
    assert line.startswith(_FIELDS_PREFIX), f"not a canonical trace line: {line[:60]!r}"
    end = line.rfind(_INDEX_KEY)
    assert end > len(_FIELDS_PREFIX), f"no index key in {line[:60]!r}"
    return line[len(_FIELDS_PREFIX):end]


def _bytes_as_hex(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()  # as the canonical form writes bytes
    raise TypeError(f"{type(value).__name__} has no JSON form")


# One C-level encode of every event's fields at once: five times cheaper than a line per event.
# Floats keep their repr here (the page shows them; the hash is the trace's own, never this text).
_encode_all = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False,
                               default=_bytes_as_hex).encode


def events_from_trace(trace_events: Sequence[Any], trace_hash: str | None = None) -> TimelineEvents:
    """Events of a run that just happened (a `sim.trace.Trace`'s `events`); pass the run's trace hash
    when it is known (the runner computed it), else it is computed here from the canonical lines."""
    try:
        fields_json = _encode_all([event[4] for event in trace_events])
    except (TypeError, ValueError):  # a NaN, or a value only the canonical encoder knows: the slow path
        fields_json = "[" + ",".join(_fields_text(canonical_line(event)) for event in trace_events) + "]"
    if trace_hash is None:
        trace_hash = hash_lines(canonical_line(event) for event in trace_events)
    return TimelineEvents(trace_events, fields_json, trace_hash)


def events_from_jsonl(path: str | Path) -> TimelineEvents:
    """Events read back from a JSON Lines trace; the hash is of the lines as written."""
    source = Path(path)
    try:
        size_bytes = source.stat().st_size
        if size_bytes > TRACE_FILE_BYTES_MAX:
            raise TraceFileError(f"trace file {source} is {size_bytes} bytes, over the {TRACE_FILE_BYTES_MAX} limit")
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise TraceFileError(f"cannot read trace file {source}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise TraceFileError(f"trace file {source} is not UTF-8 text: {error}") from error
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise TraceFileError(f"trace file {source} is empty: write one with `omen-sim run ... --trace-out FILE`")
    if len(lines) > TRACE_EVENTS_MAX:
        raise TraceFileError(f"trace file {source} has more than {TRACE_EVENTS_MAX} events")
    events: list[tuple[int, float, str, str, dict]] = []
    texts: list[str] = []
    for number, line in enumerate(lines, start=1):
        try:
            document = json.loads(line)
            event = (int(document["i"]), float(document["t"]), str(document["node"]), str(document["kind"]),
                     document["fields"])
        except (ValueError, KeyError, TypeError) as error:
            raise TraceFileError(
                f"trace file {source} line {number} is not a trace event "
                f"(want a JSON object with fields, i, kind, node, t): {error}") from None
        if not isinstance(event[4], dict):
            raise TraceFileError(f"trace file {source} line {number}: 'fields' is not an object")
        events.append(event)
        canonical = line.startswith(_FIELDS_PREFIX) and line.rfind(_INDEX_KEY) > len(_FIELDS_PREFIX)
        texts.append(_fields_text(line) if canonical
                     else json.dumps(event[4], sort_keys=True, separators=(",", ":"), ensure_ascii=True))
    return TimelineEvents(events, "[" + ",".join(texts) + "]", hash_lines(lines))
