"""The crashcheck loop: record the workload, replay it onto SimDisk, check every crash state.

Crash points are "before every fsync, fdatasync, directory fsync and os.sync" and "at the end".
That is complete: between two syncs nothing becomes durable, so the states a crash may leave
only grow until the next sync, and the point just before it sees them all. A state is checked
once per distinct (tree, acknowledgements) pair: equal states found at several crash points, or
by several draws, are checked once (a later crash point with more acks checks it again, since
each ack is a new promise).
"""
from __future__ import annotations

import hashlib
import random
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterator

from sim.crashcheck import acks as acks_module
from sim.crashcheck import pyfakefs_hooks
from sim.crashcheck.errors import CrashcheckError, CrashcheckUsageError, WorkloadError
from sim.crashcheck.ops import SYNC_KINDS, Op
from sim.crashcheck.recorder import Recorder
from sim.crashcheck.replay import Replay, self_check
from sim.crashcheck.session import ROOT, FakeFsSession
from sim.crashcheck.tree import Tree, fake_tree, state_tree
from sim.disk import PROFILES, CrashState, CrashStateLimitError

STATES_MAX_DEFAULT = 10_000
SAMPLES_MAX = 100_000
TRACEBACK_LINES_MAX = 12

Workload = Callable[[str], None]
Recover = Callable[[str], None]
Check = Callable[[str, list[tuple[str, str]]], None]
# told every checked state: (crash point, acks before it, the state, None or the violation message)
Observer = Callable[[int, list[tuple[str, str]], CrashState, "str | None"], None]


@dataclass(frozen=True)
class Recording:
    """One recorded workload run: the tree it started from, its ops, the tree it ended with."""

    initial: Tree
    initial_ids: dict[str, int]
    ops: tuple[Op, ...]
    final: Tree

    def crash_points(self) -> list[int]:
        """Op indexes a crash happens just before; len(ops) is the end."""
        return [op.index for op in self.ops if op.kind in SYNC_KINDS] + [len(self.ops)]

    def acks(self) -> list[tuple[str, str]]:
        """Every acknowledgement, in history order."""
        return [(op.path, op.path2) for op in self.ops if op.kind == "ack"]


@dataclass(frozen=True)
class Violation:
    """A crash state whose recovery broke a promise (or did not recover at all)."""

    crash_point: int  # op index the crash came just before (== ops count: at the end)
    op: str  # that op, described ("end of workload" at the end)
    message: str
    acked: tuple[tuple[str, str], ...]
    state: CrashState = field(repr=False)

    def report(self) -> str:
        state = self.state
        lines = [f"crash before op #{self.crash_point}: {self.op}", f"  check: {self.message}"]
        lines.append(f"  acknowledged before the crash: {len(self.acked)}"
                     + (f" (last: {self.acked[-1][0]} {self.acked[-1][1]})" if self.acked else ""))
        lines.append("  entry ops kept: " + (", ".join(state.kept_entry_ops) or "none"))
        lines.append("  entry ops dropped: " + (", ".join(state.dropped_entry_ops) or "none"))
        lines.append("  data ops (kept/dropped): "
                     + (", ".join(f"{p} {k}/{d}" for p, k, d in state.data_ops) or "none"))
        lines.append("  torn: " + (", ".join(f"{t.path} [{t.start}, {t.end}) {t.fill}" for t in state.torn) or "none"))
        lines.append("  files: " + (", ".join(f"{p} ({len(d)} bytes)" for p, d in state.files
                                              if p.startswith(ROOT)) or "none"))
        return "\n".join(lines)

    def to_json(self) -> dict:
        state = self.state
        return {
            "crash_point": self.crash_point, "op": self.op, "message": self.message,
            "acked": [list(pair) for pair in self.acked],
            "kept_entry_ops": list(state.kept_entry_ops), "dropped_entry_ops": list(state.dropped_entry_ops),
            "data_ops": [{"path": p, "kept": k, "dropped": d} for p, k, d in state.data_ops],
            "torn": [{"path": t.path, "start": t.start, "end": t.end, "fill": t.fill} for t in state.torn],
        }


@dataclass(frozen=True)
class CrashcheckResult:
    profile: str
    mode: str  # "exhaustive" | "samples"
    ops: int
    crash_points: int
    states: int  # distinct (state, acks) pairs checked
    states_seen: int  # before equal states were merged
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict:
        return {
            "profile": self.profile, "mode": self.mode, "ops": self.ops,
            "crash_points": self.crash_points, "states": self.states, "states_seen": self.states_seen,
            "violations": [v.to_json() for v in self.violations],
        }


@dataclass(frozen=True)
class Options:
    profile: str = "posix"
    exhaustive: bool = True
    samples: int = 0
    seed: int = 0
    states_max: int = STATES_MAX_DEFAULT
    violations_max: int = 1_000  # stop after this many (each one names its state)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise CrashcheckUsageError(f"unknown profile {self.profile!r}; use one of {list(PROFILES)}")
        if not isinstance(self.states_max, int) or self.states_max < 1:
            raise CrashcheckUsageError(f"states_max must be an int >= 1, got {self.states_max!r}")
        if not self.exhaustive and not (isinstance(self.samples, int) and 1 <= self.samples <= SAMPLES_MAX):
            raise CrashcheckUsageError(f"samples must be an int in [1, {SAMPLES_MAX}], got {self.samples!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise CrashcheckUsageError(f"seed must be an int, got {self.seed!r}")
        if self.violations_max < 1:
            raise CrashcheckUsageError(f"violations_max must be >= 1, got {self.violations_max}")

    @property
    def mode(self) -> str:
        return "exhaustive" if self.exhaustive else "samples"


def _require_callable(name: str, value: object) -> None:
    if not callable(value):
        raise CrashcheckUsageError(f"{name} must be callable, got {type(value).__name__}")


def record(session: FakeFsSession, workload: Workload) -> Recording:
    """Run `workload(ROOT)` on a fresh fake file system and record what it did."""
    session.fresh()
    objects: list[tuple[str, object]] = []
    initial = fake_tree(session.fs.root, objects=objects)
    recorder = Recorder()
    initial_ids = {path: recorder.register(obj) for path, obj in objects}
    pyfakefs_hooks.set_listener(recorder)
    previous_sink = acks_module.set_sink(recorder.on_ack)
    try:
        workload(ROOT)
    except CrashcheckError:
        raise
    except Exception as error:
        raise WorkloadError(f"the workload raised {type(error).__name__}: {error}\n{_short_traceback(error)}") from error
    finally:
        acks_module.set_sink(previous_sink)
        pyfakefs_hooks.set_listener(None)
    if recorder.refused is not None:  # raised inside the workload, which may have swallowed it
        raise recorder.refused
    final = fake_tree(session.fs.root)
    return Recording(initial, initial_ids, tuple(recorder.ops), final)


def _short_traceback(error: BaseException) -> str:
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return "".join(lines[-TRACEBACK_LINES_MAX:]).rstrip()


def state_key(state: CrashState, acked_count: int) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(acked_count.to_bytes(8, "little"))
    for path in state.dirs:
        digest.update(b"d" + path.encode() + b"\0")
    for path, data in state.files:
        digest.update(b"f" + path.encode() + b"\0" + len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()


def crash_states_at(replay: Replay, options: Options, crash_point: int, budget: int) -> list[CrashState]:
    """The states a crash now may leave: all of them, or the seeded draws."""
    if options.exhaustive:
        return replay.disk.crash_states(limit=max(1, budget))
    return [replay.disk.draw_crash_state(random.Random(f"crashcheck/{options.seed}/{crash_point}/{draw}"))
            for draw in range(options.samples)]


def iter_states(recording: Recording, options: Options, counts: dict[str, int],
                only_points: frozenset[int] | None = None) -> Iterator[tuple[int, int, CrashState]]:
    """(crash point, acks made before it, state) in history order, equal states merged.

    `counts["seen"]` counts every state found, repeats included. `only_points` restricts
    the check to these crash points (the history before them is still replayed).
    """
    replay = Replay(recording.initial, recording.initial_ids, options.profile)
    seen: set[bytes] = set()
    acked_count = 0
    points = recording.crash_points()
    cursor = 0
    for point in points:
        for op in recording.ops[cursor:point]:
            replay.apply(op)
            acked_count += op.kind == "ack"
        cursor = point
        if only_points is not None and point not in only_points:
            continue
        for state in crash_states_at(replay, options, point, options.states_max - len(seen)):
            counts["seen"] = counts.get("seen", 0) + 1
            key = state_key(state, acked_count)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > options.states_max:
                raise CrashStateLimitError(
                    f"more than {options.states_max} distinct crash states: raise states_max, sample "
                    "(--samples N), or fsync earlier in the history you check")
            yield point, acked_count, state


def describe_point(recording: Recording, point: int) -> str:
    return recording.ops[point].describe() if point < len(recording.ops) else "end of workload"


def check_state(session: FakeFsSession, state: CrashState, acked: list[tuple[str, str]],
                recover: Recover, check: Check) -> str | None:
    """Install `state`, recover, check: None when it passed, else the message."""
    return check_tree(session, state_tree(state), acked, recover, check)


def check_tree(session: FakeFsSession, tree: Tree, acked: list[tuple[str, str]],
               recover: Recover, check: Check) -> str | None:
    """Install `tree` (a crash state), recover, check: None when it passed, else the message."""
    session.install(tree)
    try:
        recover(ROOT)
    except Exception as error:  # a recovery that cannot start after a crash is a finding
        return f"recover raised {type(error).__name__}: {error}"
    try:
        check(ROOT, list(acked))
    except AssertionError as error:
        return str(error) or "AssertionError (no message)"
    except Exception as error:
        return f"check raised {type(error).__name__}: {error}"
    return None


def crashcheck(workload: Workload, recover: Recover, check: Check, *, profile: str = "posix",
               exhaustive: bool = True, samples: int = 0, seed: int = 0,
               states_max: int = STATES_MAX_DEFAULT, violations_max: int = 1_000,
               observer: Observer | None = None, crash_points: list[int] | None = None) -> CrashcheckResult:
    """Record `workload`, then recover and check every crash state the model allows.

    `observer`, if given, is told every state checked and its verdict (for tools that compare).
    `crash_points`, if given, checks only the states of these crash points (op indexes, as
    `list_crash_points` names them).
    """
    for name, value in (("workload", workload), ("recover", recover), ("check", check)):
        _require_callable(name, value)
    options = Options(profile, exhaustive, samples, seed, states_max, violations_max)
    with FakeFsSession() as session:
        recording = record(session, workload)
        self_check(recording.initial, recording.initial_ids, list(recording.ops), recording.final, profile)
        only = None
        if crash_points is not None:
            known = set(recording.crash_points())
            unknown = sorted(set(crash_points) - known)
            if unknown:
                raise CrashcheckUsageError(
                    f"crash points {unknown} are not in this history (it has {sorted(known)}): did the workload change?")
            only = frozenset(crash_points)
        return check_recording(session, recording, recover, check, options, observer, only)


def list_crash_points(workload: Workload) -> list[tuple[int, str]]:
    """(op index, what the op is) of every crash point of `workload`'s history, the end included."""
    _require_callable("workload", workload)
    with FakeFsSession() as session:
        recording = record(session, workload)
    return [(point, describe_point(recording, point)) for point in recording.crash_points()]


def check_recording(session: FakeFsSession, recording: Recording, recover: Recover, check: Check,
                    options: Options, observer: Observer | None = None,
                    only_points: frozenset[int] | None = None) -> CrashcheckResult:
    violations: list[Violation] = []
    states = 0
    counts: dict[str, int] = {}
    all_acks = recording.acks()
    for point, acked_count, state in iter_states(recording, options, counts, only_points):
        states += 1
        acked = all_acks[:acked_count]
        message = check_state(session, state, acked, recover, check)
        if observer is not None:
            observer(point, acked, state, message)
        if message is not None:
            violations.append(Violation(point, describe_point(recording, point), message, tuple(acked), state))
            if len(violations) >= options.violations_max:
                break
    return CrashcheckResult(options.profile, options.mode, len(recording.ops), len(recording.crash_points()),
                            states, counts.get("seen", 0), tuple(violations))


def check_repro(tree: Tree, acked: list[tuple[str, str]], recover: Recover, check: Check) -> str | None:
    """Check one saved crash state again (a repro file's): None when it passes now."""
    _require_callable("recover", recover)
    _require_callable("check", check)
    with FakeFsSession() as session:
        return check_tree(session, tree, acked, recover, check)
