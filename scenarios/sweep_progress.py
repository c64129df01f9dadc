"""The sweep's progress bar on stderr, drawn by rich.

WHY rich and not a hand-written bar: on a terminal it redraws one line in place (with the rate and
the time left), and when stderr is a file or a CI log it does not print a line per update: it
prints the final state once, when the sweep ends. rich decides which from the stream itself.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

ProgressCallback = Callable[[int, int, Any], None]


@contextmanager
def sweep_progress(total: int, *, stream: TextIO | None = None) -> Iterator[ProgressCallback]:
    """A `progress(done, total, summary)` callback for `scenarios.sweep.sweep`, shown while open."""
    assert total >= 0, total
    console = Console(file=stream if stream is not None else sys.stderr, highlight=False)
    columns = (
        TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("runs, {task.fields[failed]} failed,"),
        TextColumn("{task.fields[rate]:.1f} runs/s"), TimeElapsedColumn(), TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("sweep", total=total, failed=0, rate=0.0)

        def update(done: int, total_runs: int, summary: Any) -> None:
            assert total_runs == total and 0 <= done <= total, (done, total_runs, total)
            failed = sum(row["failed"] for row in summary.per_scenario.values())
            rate = done / summary.wall_seconds if summary.wall_seconds > 0 else 0.0
            bar.update(task, completed=done, failed=failed, rate=rate)

        yield update
