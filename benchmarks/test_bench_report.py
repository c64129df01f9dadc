"""The timeline page of a 100,000-event trace: seconds to build it, and its cost over writing the trace."""
from __future__ import annotations

from pathlib import Path

from benchmarks.conftest import best_of, record, timed
from scenarios.report.timeline_model import TimelineHeader, build_model
from scenarios.report.timeline_page import write_timeline
from scenarios.report.trace_source import events_from_trace
from scenarios.runner import run
from sim.trace import canonical_line, hash_lines
from tests.report.big_trace import tiled_events

FULL_EVENTS = 100_000
SMALL_EVENTS = 5_000


def test_timeline_page_of_a_100000_event_trace(benchmark, full, tmp_path: Path):
    base = run("chaos", 3, bug="push_before_ledger", keep_world=True).world.trace.events
    events = tiled_events(base, FULL_EVENTS if full else SMALL_EVENTS)
    page = tmp_path / "timeline.html"
    # a run's page starts from the trace hash the runner already computed, as `omen-sim run --html` does
    trace_hash = hash_lines(canonical_line(event) for event in events)

    def make_page() -> Path:
        model = build_model(events_from_trace(events, trace_hash), TimelineHeader(source="benchmark"))
        return write_timeline(model, page)

    def write_trace() -> None:
        with open(tmp_path / "trace.jsonl", "w", encoding="utf-8") as out:
            for event in events:
                out.write(canonical_line(event))
                out.write("\n")

    seconds, written = timed(benchmark, make_page, rounds=3)
    trace_s = best_of(write_trace, 3)
    benchmark.extra_info["events"] = len(events)
    benchmark.extra_info["page_bytes"] = written.stat().st_size
    record(benchmark, f"timeline page of {len(events):,} events", seconds, unit="s",
           target="< 5 s" if full else "", met=seconds < 5 if full else None)
    record(benchmark, "timeline page / writing the same trace as JSON Lines", seconds / trace_s)
