"""The determinism check: one seed, two fresh processes, different PYTHONHASHSEED, same trace?

WHY: a simulation is only worth something if a seed replays exactly. The classic leaks
are iteration over a set or dict of strings (its order follows PYTHONHASHSEED), ids or
addresses in a trace, wall-clock reads and module-level `random`. FoundationDB's "unseed"
check catches them by running twice and comparing; so do we, in two fresh interpreters
with different hash seeds, and on a mismatch we show the first event where they part.

Usage from a shell:
    python -m sim.determinism package.module:function SEED [--hash-seeds 0 1]
The target function takes (seed: int) and returns a Trace or an iterable of canonical lines.
A target may also be given as 'path/to/file.py:function'.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from sim.trace import Trace, hash_lines

__all__ = [
    "DeterminismReport",
    "DeterminismCheckError",
    "check_determinism",
    "first_divergence",
    "load_target",
    "target_lines",
    "main",
]

CONTEXT_EVENTS = 3
STDERR_TAIL_CHARS = 4000
LINE_SHOWN_CHARS_MAX = 400


class DeterminismCheckError(RuntimeError):
    """The check could not be carried out (bad target, a worker failed or timed out)."""


@dataclass(frozen=True)
class DeterminismReport:
    seed: int
    same: bool
    hash_a: str
    hash_b: str
    divergence: str | None
    target: str = ""
    hash_seeds: tuple[int, int] = (0, 1)
    events_a: int = 0
    events_b: int = 0

    def __str__(self) -> str:
        verdict = "deterministic" if self.same else "NOT deterministic"
        head = (
            f"{self.target} seed {self.seed}: {verdict} "
            f"(PYTHONHASHSEED {self.hash_seeds[0]}: {self.events_a} events, {self.hash_a[:16]}; "
            f"PYTHONHASHSEED {self.hash_seeds[1]}: {self.events_b} events, {self.hash_b[:16]})"
        )
        return head if self.divergence is None else f"{head}\n{self.divergence}"


def check_determinism(
    target: str, seed: int, *, hash_seeds: Sequence[int] = (0, 1), timeout_s: float = 600
) -> DeterminismReport:
    """Run `target(seed)` in two fresh interpreters with different PYTHONHASHSEED; compare traces."""
    _parse_target(target)  # fail fast, in the caller's process, on a malformed target
    if type(seed) is not int or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    seeds = tuple(hash_seeds)
    if len(seeds) != 2 or any(type(value) is not int or not 0 <= value <= 4294967295 for value in seeds):
        raise ValueError(f"hash_seeds must be two ints in [0, 4294967295], got {hash_seeds!r}")
    if seeds[0] == seeds[1]:
        raise ValueError(f"hash_seeds must differ to test anything, got {hash_seeds!r}")
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")

    with tempfile.TemporaryDirectory(prefix="determinism-") as scratch:
        outputs = [Path(scratch) / f"trace-{hash_seed}.jsonl" for hash_seed in seeds]
        workers = [_start_worker(target, seed, hash_seed, output) for hash_seed, output in zip(seeds, outputs)]
        for hash_seed, worker in zip(seeds, workers):
            _finish_worker(worker, target, seed, hash_seed, timeout_s)
        lines_a, lines_b = (_read_lines(output) for output in outputs)

    hash_a, hash_b = hash_lines(lines_a), hash_lines(lines_b)
    same = hash_a == hash_b
    divergence = None if same else first_divergence(lines_a, lines_b, labels=(
        f"PYTHONHASHSEED={seeds[0]}", f"PYTHONHASHSEED={seeds[1]}"))
    return DeterminismReport(seed, same, hash_a, hash_b, divergence, target, (seeds[0], seeds[1]),
                             len(lines_a), len(lines_b))


def first_divergence(
    lines_a: Sequence[str], lines_b: Sequence[str], *, context: int = CONTEXT_EVENTS,
    labels: tuple[str, str] = ("A", "B"),
) -> str | None:
    """Where two canonical traces part, with `context` events either side from each; None if equal."""
    common = min(len(lines_a), len(lines_b))
    index = next((i for i in range(common) if lines_a[i] != lines_b[i]), None)
    if index is None:
        if len(lines_a) == len(lines_b):
            return None
        index = common
    parts = [f"traces part at event {index} (of {len(lines_a)} in {labels[0]}, {len(lines_b)} in {labels[1]}):"]
    for label, lines in zip(labels, (lines_a, lines_b)):
        parts.append(f"  {label}:")
        start, stop = max(0, index - context), min(len(lines), index + context + 1)
        for line_index in range(start, stop):
            marker = ">" if line_index == index else " "
            parts.append(f"  {marker} {line_index:>8}  {_clip(lines[line_index])}")
        if index >= len(lines):
            parts.append(f"  > {index:>8}  (trace ends here)")
    return "\n".join(parts)


def load_target(target: str) -> Callable[[int], Any]:
    """Resolve 'package.module:function' (or 'path/to/file.py:function') to the function."""
    module_part, function_name = _parse_target(target)
    if module_part.endswith(".py"):
        path = Path(module_part).resolve()
        if not path.is_file():
            raise DeterminismCheckError(f"target file {path} does not exist")
        spec = importlib.util.spec_from_file_location(f"_determinism_target_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_part)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise DeterminismCheckError(f"{module_part} has no function {function_name!r}; check the target {target!r}")
    return function


def target_lines(target: str, seed: int) -> Iterator[str]:
    """Call the target in this process and yield its canonical lines."""
    result = load_target(target)(seed)
    lines: Iterable[str] = result.canonical_lines() if isinstance(result, Trace) else result
    if isinstance(lines, (str, bytes)) or not isinstance(lines, Iterable):
        raise DeterminismCheckError(
            f"target {target!r} returned {type(result).__name__}; return a sim.trace.Trace or an iterable of canonical lines"
        )
    for line in lines:
        if not isinstance(line, str) or "\n" in line:
            raise DeterminismCheckError(f"target {target!r} yielded {line!r}; each canonical line must be a str without newlines")
        yield line


def _parse_target(target: str) -> tuple[str, str]:
    if not isinstance(target, str) or target.count(":") != 1:
        raise ValueError(f"target must look like 'package.module:function', got {target!r}")
    module_part, function_name = target.split(":")
    if not module_part or not function_name.isidentifier():
        raise ValueError(f"target must look like 'package.module:function', got {target!r}")
    return module_part, function_name


def _child_env(hash_seed: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = str(hash_seed)
    # The child must import what this process imports (pytest's pythonpath, the repo root).
    entries = [os.path.abspath(entry or os.curdir) for entry in sys.path if isinstance(entry, str)]
    entries = [entry for entry in dict.fromkeys(entries) if os.path.isdir(entry)]
    env["PYTHONPATH"] = os.pathsep.join(entries)
    return env


def _start_worker(target: str, seed: int, hash_seed: int, output: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "sim.determinism", "--worker", target, str(seed), "--output", str(output)]
    return subprocess.Popen(command, env=_child_env(hash_seed), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _finish_worker(worker: subprocess.Popen[str], target: str, seed: int, hash_seed: int, timeout_s: float) -> None:
    try:
        _, stderr = worker.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        raise DeterminismCheckError(
            f"{target} seed {seed} under PYTHONHASHSEED={hash_seed} ran longer than {timeout_s} s; "
            f"raise timeout_s or look for a run that never ends"
        ) from None
    if worker.returncode != 0:
        raise DeterminismCheckError(
            f"{target} seed {seed} under PYTHONHASHSEED={hash_seed} failed (exit {worker.returncode}):\n"
            f"{stderr[-STDERR_TAIL_CHARS:]}"
        )


def _read_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text.split("\n")[:-1] if text else []


def _clip(line: str) -> str:
    return line if len(line) <= LINE_SHOWN_CHARS_MAX else line[:LINE_SHOWN_CHARS_MAX] + " ..."


def _worker(target: str, seed: int, output: str) -> int:
    with open(output, "w", encoding="utf-8", newline="\n") as out:
        for line in target_lines(target, seed):
            out.write(line)
            out.write("\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: exit 0 when deterministic, 1 when the traces differ, 2 on bad usage or a failed run."""
    parser = argparse.ArgumentParser(prog="python -m sim.determinism", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="package.module:function taking (seed) and returning a Trace")
    parser.add_argument("seed", type=int)
    parser.add_argument("--hash-seeds", type=int, nargs=2, default=(0, 1), metavar=("A", "B"))
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        assert args.output, "--worker needs --output"
        return _worker(args.target, args.seed, args.output)
    try:
        report = check_determinism(args.target, args.seed, hash_seeds=args.hash_seeds, timeout_s=args.timeout_s)
    except (ValueError, DeterminismCheckError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report)
    return 0 if report.same else 1


if __name__ == "__main__":
    sys.exit(main())
