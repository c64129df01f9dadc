"""Shared machinery of the benchmark suite: sizes, timing, and the ratio table.

WHY ratios: the machines are shared and noisy, so an absolute time means little. Every
benchmark times its subject with pytest-benchmark and a baseline in the same test, and
records the ratio in `benchmark.extra_info` (so `--benchmark-json` carries it). Nothing
gates on a timing: targets are recorded next to the figure, and the session ends with a
Markdown table of every ratio, ready for the README.

With `--benchmark-disable` (what CI runs) every benchmark still runs once, on a small
workload, so the suite never rots and stays well under a minute.
"""
from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

REPEAT_MAX = 50


@dataclass(frozen=True)
class Ratio:
    test: str
    name: str
    value: float
    unit: str
    target: str
    met: bool | None


_RATIOS: list[Ratio] = []


def is_disabled(benchmark: Any) -> bool:
    return bool(getattr(benchmark, "disabled", False))


@pytest.fixture
def full(benchmark) -> bool:
    """True when timing for real; False under --benchmark-disable (run small, once)."""
    return not is_disabled(benchmark)


def timed(benchmark: Any, fn: Callable[[], Any], *, rounds: int = 3) -> tuple[float, Any]:
    """Run `fn` under pytest-benchmark; return (best seconds per call, last result).

    The seconds come from `benchmark.stats` when benchmarking is on, else from one timed call.
    """
    results: list[Any] = []
    own: list[float] = []

    def call() -> None:
        started = time.perf_counter()
        results.append(fn())
        own.append(time.perf_counter() - started)

    benchmark.pedantic(call, rounds=1 if is_disabled(benchmark) else rounds, iterations=1, warmup_rounds=0)
    stats = getattr(benchmark, "stats", None)
    seconds = stats.stats.min if stats is not None and not is_disabled(benchmark) else min(own)
    assert seconds > 0, "a benchmark subject took no measurable time"
    return seconds, results[-1]


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """Baseline timing in the same test: best of `repeat` calls (bounded)."""
    assert 1 <= repeat <= REPEAT_MAX, repeat
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def record(benchmark: Any, name: str, value: float, *, unit: str = "x", target: str = "",
           met: bool | None = None) -> None:
    """Record a figure for the JSON output and the session's table. Never asserts on it."""
    benchmark.extra_info[name] = round(value, 4)
    if target:
        benchmark.extra_info[f"{name}.target"] = target
        benchmark.extra_info[f"{name}.met"] = met
    test = getattr(benchmark, "name", "?")
    _RATIOS.append(Ratio(test, name, value, unit, target, met))
    print(f"{name}: {value:,.3f} {unit} (target {target or '-'})")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if not _RATIOS:
        return
    disabled = config.getoption("benchmark_disable", False)
    write = terminalreporter.write_line
    write("")
    write(f"## Benchmark figures ({platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.system()}){' - benchmarking DISABLED, small sizes' if disabled else ''}")
    write("")
    write("| figure | value | target | met |")
    write("|---|---|---|---|")
    for ratio in _RATIOS:
        met = "" if ratio.met is None else ("yes" if ratio.met else "no")
        write(f"| {ratio.name} | {ratio.value:,.2f} {ratio.unit} | {ratio.target} | {met} |")
