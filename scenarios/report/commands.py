"""What the command line calls: write a timeline or a summary page (the CLI only wires flags here).

`omen-sim report FILE --html OUT` takes whatever a person has: a repro file (replayed), a JSON
Lines trace, or the JSON summary of a sweep or a hunt. Summary pages replay up to
`TIMELINES_MAX` of the failing runs' repros and link each violation to its timeline.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scenarios.report.errors import ReportInputError
from scenarios.report.summary_page import (
    SummaryDocumentError, is_hunt_document, is_sweep_document, render_hunt_page, render_sweep_page,
)
from scenarios.report.timeline_page import write_timeline
from scenarios.report.timeline_sources import (
    run_command, timeline_from_repro, timeline_from_result, timeline_from_trace_file,
)

__all__ = ["ReportInputError", "report_command", "write_run_timeline", "write_replay_timeline",
           "write_sweep_report", "write_hunt_report", "write_hunt_report_from_file", "TIMELINES_MAX"]

TIMELINES_MAX = 10  # failing runs replayed for their timeline per summary page (each is a whole run)
SNIFF_BYTES = 64 * 1024


def write_run_timeline(result: Any, out: str | Path, *, repro_path: Path | None, plan_path: str | None) -> Path:
    """The timeline of `omen-sim run` (the run was made with keep_world=True)."""
    command = (f"omen-sim replay {repro_path}" if repro_path is not None
               else run_command(result.scenario, result.seed, result.bug, plan_path))
    model = timeline_from_result(result, source=f"omen-sim run {result.scenario} --seed {result.seed}",
                                 replay_command=command)
    return write_timeline(model, out)


def write_replay_timeline(result: Any, repro: Any, repro_path: str | Path, out: str | Path) -> Path:
    """The timeline of `omen-sim replay`, with the hash the repro recorded beside the replay's."""
    model = timeline_from_result(result, source=f"repro {repro_path}", replay_command=f"omen-sim replay {repro_path}",
                                 expected_trace_hash=repro.trace_hash)
    return write_timeline(model, out)


def _timelines_for(repros: list[str], page: Path) -> dict[str, str]:
    """Replay the first TIMELINES_MAX distinct repro files; repro path -> timeline path."""
    from scenarios.repro import ReproError

    directory = page.with_name(page.stem + "-timelines")
    written: dict[str, str] = {}
    for repro in list(dict.fromkeys(r for r in repros if r))[:TIMELINES_MAX]:
        try:
            model = timeline_from_repro(repro)
        except ReproError:
            continue  # the summary still links the repro; its message says what is wrong with it
        written[repro] = str(write_timeline(model, directory / (Path(repro).stem + ".html")))
    return written


def _write_page(text: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".tmp")
    temp.write_text(text, encoding="utf-8", newline="\n")
    temp.replace(out)
    return out


def write_sweep_report(document: dict[str, Any], out: str | Path) -> Path:
    page = Path(out)
    repros = [str(v.get("repro")) for v in document.get("violations", []) if isinstance(v, dict) and v.get("repro")]
    timelines = _timelines_for(repros, page)
    return _write_page(render_sweep_page(document, page=page, timelines=timelines), page)


def write_hunt_report(document: dict[str, Any], out: str | Path) -> Path:
    page = Path(out)
    repros = [str(bug.get("repro")) for bug in document.get("bugs", []) if isinstance(bug, dict) and bug.get("repro")]
    timelines = _timelines_for(repros, page)
    return _write_page(render_hunt_page(document, page=page, timelines=timelines), page)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportInputError(f"cannot read {path}: {error.strerror or error}") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise ReportInputError(f"{path} is not JSON: {error}") from error


def write_hunt_report_from_file(json_path: str | Path, out: str | Path) -> Path:
    document = _read_json(Path(json_path))
    if not is_hunt_document(document):
        raise SummaryDocumentError(f"{json_path} is not a hunt document")
    return write_hunt_report(document, out)


def _looks_like_trace(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise ReportInputError(f"cannot read {path}: {error.strerror or error}") from error
    first = head.split(b"\n", 1)[0]
    try:
        document = json.loads(first)
    except ValueError:
        return False
    return isinstance(document, dict) and {"i", "kind", "node", "t"} <= set(document)


def report_command(input_path: str | Path, out: str | Path) -> Path:
    """Draw `input_path` (repro, trace, sweep or hunt JSON) into the HTML file `out`."""
    source = Path(input_path)
    if _looks_like_trace(source):
        return write_timeline(timeline_from_trace_file(source), out)
    document = _read_json(source)
    if is_hunt_document(document):
        return write_hunt_report(document, out)
    if is_sweep_document(document):
        return write_sweep_report(document, out)
    if isinstance(document, dict) and "trace_hash" in document and "scenario" in document:
        return write_timeline(timeline_from_repro(source), out)
    raise ReportInputError(f"{source} is neither a repro file, a JSON Lines trace, nor a sweep or hunt summary")
