"""Where a timeline's events come from: a run's in-memory trace, or a JSON Lines trace file.

WHY one shape for both: the page model reads (index, time_s, node, kind, fields) and the
canonical JSON text of each event's fields, whether the events were just recorded or read back
from `omen-sim run --trace-out`. The fields text is cut out of the canonical line rather than
encoded again, so a 100,000-event page costs one pass of the trace's own encoder.
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
    """The events of one run, columnar: what the page model is built from."""

    events: Sequence[Any]  # (index, time_s, node, kind, fields) tuples, in trace order
    fields_texts: list[str]  # canonical JSON of each event's fields
    trace_hash: str

    def __post_init__(self) -> None:
        assert len(self.events) == len(self.fields_texts), "one fields text per event"


def _fields_text(line: str) -> str:
    assert line.startswith(_FIELDS_PREFIX), f"not a canonical trace line: {line[:60]!r}"
    end = line.rfind(_INDEX_KEY)
    assert end > len(_FIELDS_PREFIX), f"no index key in {line[:60]!r}"
    return line[len(_FIELDS_PREFIX):end]


def events_from_trace(trace_events: Sequence[Any]) -> TimelineEvents:
    """Events of a run that just happened (a `sim.trace.Trace`'s `events`)."""
    lines = [canonical_line(event) for event in trace_events]
    return TimelineEvents(trace_events, [_fields_text(line) for line in lines], hash_lines(lines))


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
    return TimelineEvents(events, texts, hash_lines(lines))
