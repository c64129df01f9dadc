"""The timeline's page model: lanes, folded axis, bands, spans, violations; a pure function of the trace."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scenarios.report.time_axis import GAP_S_MIN, fold_gaps
from scenarios.report.timeline_model import LANES, TimelineHeader, build_model, lane_of
from scenarios.report.timeline_page import render_timeline
from scenarios.report.timeline_sources import timeline_from_result, timeline_from_trace_file
from scenarios.report.trace_source import TraceFileError, events_from_jsonl, events_from_trace
from sim.trace import TraceEvent


def model_document(model) -> dict:  # noqa: ANN001
    return json.loads(model.document_text)


def events(*rows: tuple[float, str, str, dict]) -> list[TraceEvent]:
    return [TraceEvent(index, t, node, kind, fields) for index, (t, node, kind, fields) in enumerate(rows)]


def test_faults_are_drawn_in_the_lane_of_what_they_hit_and_traffic_on_the_network() -> None:
    lane = {name: index for index, name in enumerate(LANES)}
    assert lane_of("omen", "fault", {"fault": "disk.enospc"}) == lane["disk"]
    assert lane_of("omen", "fault", {"fault": "net.delay_spike"}) == lane["network"]
    assert lane_of("reconciler", "fault", {"fault": "proc.crash_reconciler"}) == lane["reconciler"]
    assert lane_of("riskcast", "net.deliver", {"req": 1}) == lane["network"]
    assert lane_of("omen", "disk.fault", {}) == lane["disk"]
    assert lane_of("omen", "ledger.sealed", {}) == lane["disk"]
    assert lane_of("riskcast", "ingest.result", {}) == lane["riskcast"]
    assert lane_of("world", "heal", {}) == lane["run"]


def test_the_liveness_day_jump_is_folded_and_unfolded_stretches_keep_one_second_per_second() -> None:
    times = [0.0, 1.0, 2.0, 120.0, 121.0, 86_460.0, 86_461.0]
    axis = fold_gaps(times)
    assert [round(hidden) for _, _, hidden in axis.gaps] == [118, 86_339]
    assert axis.x_of(1.5) - axis.x_of(0.5) == pytest.approx(1.0)
    assert axis.x_of(86_461.0) - axis.x_of(86_460.0) == pytest.approx(1.0)
    folded_width = axis.x_of(86_460.0) - axis.x_of(121.0)
    assert folded_width < 86_339 / 100, "a folded gap is drawn narrow"
    xs = [axis.x_of(t) for t in sorted(times)]
    assert xs == sorted(xs), "the axis keeps the order of events"
    assert fold_gaps([0.0, GAP_S_MIN / 2]).gaps == [], "a short quiet stretch is not folded"


def test_crash_restart_bands_and_partition_spans_cut_at_the_heal() -> None:
    trace = events(
        (1.0, "riskcast", "node.crash", {"cause": "planned", "incarnation": 0}),
        (2.0, "omen", "net.partition", {"req": 3, "a": "omen", "b": "riskcast", "until_s": 50.0, "refuse": True}),
        (2.5, "omen", "net.partition", {"req": 4, "a": "riskcast", "b": "omen", "until_s": 40.0, "refuse": True}),
        (4.0, "riskcast", "node.restart", {"incarnation": 1}),
        (9.0, "world", "heal", {}),
        (10.0, "reconciler", "node.crash", {"cause": "planned", "incarnation": 0}),
        (11.0, "world", "converged", {}),
    )
    document = model_document(build_model(events_from_trace(trace), TimelineHeader(source="test")))
    bands = [(b["label"], b["t0"], b["t1"]) for b in document["bands"]]
    assert bands == [("riskcast down (planned)", 1.0, 4.0),
                     ("reconciler down (planned), never restarted", 10.0, 11.0)]
    assert [(s["label"], s["t0"], s["t1"]) for s in document["spans"]] == [
        ("partition omen | riskcast (refused)", 2.0, 9.0)], "one cut seen twice is one span, ended by the heal"
    assert [m["label"] for m in document["marks"]] == ["heal", "converged"]


def test_violations_keep_the_trace_events_they_cite(failing_run) -> None:  # noqa: ANN001
    model = timeline_from_result(failing_run, source="test", replay_command="omen-sim replay x.json")
    document = model_document(model)
    assert len(document["violations"]) == len(failing_run.violations)
    first = failing_run.violations[0]
    assert document["violations"][0]["trace_indices"] == list(first.trace_indices)
    cited = first.trace_indices[0]
    assert document["fields"][cited] == failing_run.world.trace.events[cited].fields
    assert document["kinds"][document["kind"][cited]] == failing_run.world.trace.events[cited].kind
    assert len(document["t"]) == len(document["lane"]) == len(document["fields"]) == len(failing_run.world.trace)


def test_the_page_is_the_same_bytes_for_the_same_trace_and_reaches_nothing_outside(failing_run) -> None:  # noqa: ANN001
    first = render_timeline(timeline_from_result(failing_run, source="run", replay_command="omen-sim replay r.json"))
    again = render_timeline(timeline_from_result(failing_run, source="run", replay_command="omen-sim replay r.json"))
    assert first == again
    assert failing_run.trace_hash in first and "omen-sim replay r.json" in first
    assert "push_before_ledger" in first and "chaos" in first
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", first), "no script, style or image from a network"
    assert "<link" not in first and "@import" not in first


def test_fields_without_a_plain_json_form_are_drawn_in_their_canonical_form() -> None:
    trace = events((0.0, "omen", "disk.fault", {"data": b"\x01\xff", "ratio": float("nan"), "pair": (1, 2)}))
    drawn = json.loads(events_from_trace(trace).fields_json)
    assert drawn == [{"data": "01ff", "ratio": "nan", "pair": [1, 2]}]


def test_a_field_that_holds_markup_cannot_end_the_embedded_script() -> None:
    trace = events((0.0, "omen", "task.error", {"error": "</script><script>alert(1)</script>"}))
    page = render_timeline(build_model(events_from_trace(trace), TimelineHeader(source="test")))
    embedded = page.split('<script type="application/json" id="model">', 1)[1].split("</script>", 1)[0]
    assert json.loads(embedded)["fields"][0]["error"] == "</script><script>alert(1)</script>"


def test_a_trace_file_replays_into_the_same_model_and_hash(failing_run, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "trace.jsonl"
    failing_run.world.trace.write_jsonl(path)
    from_file = events_from_jsonl(path)
    assert from_file.trace_hash == failing_run.trace_hash == events_from_trace(failing_run.world.trace.events).trace_hash
    read_back = json.loads(from_file.fields_json)
    recorded = json.loads(events_from_trace(failing_run.world.trace.events).fields_json)
    assert len(read_back) == len(recorded)
    for back, fields in zip(read_back, recorded):  # the file holds floats at six decimals
        assert back.keys() == fields.keys()
        for key, value in fields.items():
            assert back[key] == (pytest.approx(value, abs=1e-6) if isinstance(value, float) else value), key
    model = timeline_from_trace_file(path)
    assert model.event_count == len(failing_run.world.trace) and model.violations == []


@pytest.mark.parametrize("content, complaint", [
    ("", "empty"),
    ('{"fields":{},"i":0,"kind":"x","node":"omen","t":0.000000}\nnot json\n', "line 2"),
    ('{"i":0,"kind":"x","node":"omen","t":0.0}\n', "line 1"),
    ('{"fields":[1],"i":0,"kind":"x","node":"omen","t":0.0}\n', "'fields' is not an object"),
])
def test_a_file_that_is_not_a_trace_is_refused_with_what_is_wrong(tmp_path: Path, content: str, complaint: str) -> None:
    path = tmp_path / "trace.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TraceFileError, match=complaint):
        events_from_jsonl(path)


def test_a_missing_trace_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TraceFileError, match="cannot read"):
        events_from_jsonl(tmp_path / "nope.jsonl")
