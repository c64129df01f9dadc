"""A timeline from each thing a person has at hand: a run just made, a repro file, a trace file.

A repro is replayed (runs are deterministic, so the replay is the run that failed: the header
says whether the trace hash matches the one the repro recorded). A JSON Lines trace carries no
verdict, so its page has lanes and lives but no violations.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios.report.timeline_model import TimelineHeader, TimelineModel, build_model
from scenarios.report.trace_source import events_from_jsonl, events_from_trace

__all__ = ["timeline_from_result", "timeline_from_repro", "timeline_from_trace_file", "run_command"]


def run_command(scenario: str, seed: int, bug: str | None, plan_path: str | None = None) -> str:
    """The command that makes the same run again (when no repro file was written)."""
    return (f"omen-sim run {scenario} --seed {seed}" + (f" --bug {bug}" if bug else "")
            + (f" --plan {plan_path}" if plan_path else ""))


def timeline_from_result(result: Any, *, source: str, replay_command: str | None,
                         expected_trace_hash: str | None = None, notes: tuple[str, ...] = ()) -> TimelineModel:
    """`result` is a `scenarios.runner.RunResult` made with keep_world=True."""
    if result.world is None:
        raise ValueError("the run was made without keep_world=True: its trace is gone")
    header = TimelineHeader(
        source=source, scenario=result.scenario, seed=result.seed, bug=result.bug,
        plan=result.plan.model_dump(mode="json"), replay_command=replay_command,
        expected_trace_hash=expected_trace_hash, notes=notes,
    )
    events = events_from_trace(result.world.trace.events, result.trace_hash)
    return build_model(events, header, [v.to_json() for v in result.violations])


def timeline_from_repro(path: str | Path) -> TimelineModel:
    """Replay a repro file and draw the replay (raises ReproError for an unreadable repro)."""
    from scenarios.repro import Repro
    from scenarios.runner import run

    repro = Repro.load(path)
    schedule = repro.schedule if repro.replay_schedule else None
    result = run(repro.scenario, repro.seed, plan=repro.plan, overrides=repro.params, bug=repro.bug,
                 schedule=schedule, keep_world=True)
    notes = ("replayed with its minimized fault schedule",) if repro.replay_schedule else ()
    return timeline_from_result(result, source=f"repro {path}", replay_command=f"omen-sim replay {path}",
                                expected_trace_hash=repro.trace_hash, notes=notes)


def timeline_from_trace_file(path: str | Path) -> TimelineModel:
    """Draw a JSON Lines trace (raises TraceFileError for a file that is not one)."""
    header = TimelineHeader(source=f"trace {path}",
                            notes=("a trace file carries no verdict: replay its repro for the violations",))
    return build_model(events_from_jsonl(path), header, [])
