"""The ledger, unmodified and in its production configuration (`fs=os`), under crashcheck.

The same history is also run on the `SimDisk` port (`fs=disk`), with crash states taken at the
same points (before every fsync/fdatasync, and at the end), so the two ways of checking can be
compared state by state: crashcheck must find the same distinct crash states and reach the same
verdicts as the port. One recovery and one check serve both, through whichever `fs` is given.

Recovery is the writer's own: it recovers a partition lazily, on the first write to it, so a
probe record is written into each day found (as `scenarios.exhaustive` does). The check: every
acknowledged record and every probe is in the ledger (read by the independent oracle), sequences
strictly increase, and the ledger's own reader reads every partition without corruption.
"""
from __future__ import annotations

import os
import posixpath
import random
import stat as stat_module
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from omen import FixedClock, LedgerReader, LedgerWriter, SignalEvent
from omen.ledger import LedgerCorruptionError, LedgerWriteError
from scenarios.ledger_oracle import parse_ledger
from sim.crashcheck import ack
from sim.crashcheck.run import state_key
from sim.crashcheck.session import ROOT
from sim.disk import CrashState, SimDisk

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=timezone.utc)
DAY_ONE, DAY_TWO = "2026-03-01", "2026-03-02"
SEGMENT_MAX_RECORDS = 2  # small, so the history rolls segments over
PROBE_RULESET = "crashcheck-probe"
TREE_ENTRIES_MAX = 100_000


def _event(index: int, day: str) -> SignalEvent:
    moment = datetime.fromisoformat(day).replace(hour=9, tzinfo=timezone.utc) + timedelta(minutes=index)
    return SignalEvent.create(event_id=f"evt-{index}", input_event={"n": index}, ruleset_version="crashcheck-1",
                              category="price", observed_at=moment, emitted_at=moment)


def _probe(day: str) -> SignalEvent:
    moment = datetime.fromisoformat(day).replace(hour=12, tzinfo=timezone.utc)
    return SignalEvent.create(event_id=f"probe-{day}", input_event={"probe": day}, ruleset_version=PROBE_RULESET,
                              category="probe", observed_at=moment, emitted_at=moment)


def _writer(root: str, fs: Any | None) -> LedgerWriter:
    if fs is None:  # production configuration: the writer's default fs, which is `os`
        return LedgerWriter(root, clock=FixedClock(NOW), segment_max_records=SEGMENT_MAX_RECORDS)
    return LedgerWriter(root, fs=fs, clock=FixedClock(NOW), segment_max_records=SEGMENT_MAX_RECORDS)


def write_history(root: str, fs: Any | None = None, acknowledge: Callable[[str, str], None] = ack) -> None:
    """Three records on day one (a rollover), seal day one, two records on day two."""
    writer = _writer(root, fs)
    for index in range(3):
        acknowledge("record", writer.write(_event(index, DAY_ONE)).signal_id)
    writer.seal_partition(DAY_ONE)
    for index in range(3, 5):
        acknowledge("record", writer.write(_event(index, DAY_TWO)).signal_id)
    writer.close()


def _files_under(fs: Any, root: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    stack = [root]
    for _ in range(TREE_ENTRIES_MAX):
        if not stack:
            return files
        directory = stack.pop()
        for name in sorted(fs.listdir(directory)):
            path = posixpath.join(directory, name)
            if stat_module.S_ISDIR(fs.stat(path).st_mode):
                stack.append(path)
                continue
            fd = fs.open(path, os.O_RDONLY)
            try:
                files[path] = fs.read(fd, fs.stat(path).st_size + 1)
            finally:
                fs.close(fd)
    raise AssertionError(f"more than {TREE_ENTRIES_MAX} directories under {root}")


def _days(fs: Any, root: str) -> list[str]:
    if not fs.path.isdir(root):
        return []
    return sorted(name[:10] for name in fs.listdir(root) if len(name) >= 10 and name[4] == "-" and name[7] == "-")


def recover_ledger(root: str, fs: Any | None = None) -> None:
    """The writer's own recovery, driven by one probe write into each day found."""
    port = os if fs is None else fs
    writer = _writer(root, fs)
    for day in sorted(set(_days(port, root))):
        writer.write(_probe(day))
    writer.close()


def ledger_findings(root: str, acked_ids: list[str], fs: Any | None = None) -> list[str]:
    port = os if fs is None else fs
    files = _files_under(port, root) if port.path.isdir(root) else {}
    recovered = parse_ledger(files, root)
    ids = {record.signal_id for partition in recovered.values() for record in partition.records}
    probes = {_probe(day).signal_id for day in _days(port, root)}
    messages = []
    lost = sorted((set(acked_ids) | probes) - ids)
    if lost:
        messages.append(f"{len(lost)} acknowledged or probe record(s) lost, e.g. {lost[:2]}")
    for name, partition in recovered.items():
        sequences = [record.sequence for record in partition.records]
        if any(b <= a for a, b in zip(sequences, sequences[1:])):
            messages.append(f"{name}: sequence not increasing: {sequences}")
    reader = LedgerReader(root) if fs is None else LedgerReader(root, fs=fs)
    for name in reader.list_partitions() if port.path.isdir(root) else []:
        try:
            sum(1 for _ in reader.read_partition(name))
        except LedgerCorruptionError as error:
            messages.append(f"{name} unreadable after recovery: {error}")
    return messages


# ------------------------------------------------------------------ the crashcheck faces (fs=os)

def workload(root: str) -> None:
    write_history(root)


def recover(root: str) -> None:
    try:
        recover_ledger(root)
    except LedgerWriteError as error:
        raise AssertionError(f"the writer does not recover: {error}") from error


def check(root: str, acked: list[tuple[str, str]]) -> None:
    messages = ledger_findings(root, [key for kind, key in acked if kind == "record"])
    assert not messages, "; ".join(messages)


# ------------------------------------------------------------------ the same history on the SimDisk port

class _CrashPointDisk:
    """The port with a hook before every fsync/fdatasync: crashcheck's crash points, on SimDisk."""

    def __init__(self, disk: SimDisk, before_sync: Callable[[], None]) -> None:
        self._disk = disk
        self._before_sync = before_sync

    def __getattr__(self, name: str) -> Any:
        return getattr(self._disk, name)

    def fsync(self, fd: Any) -> None:
        self._before_sync()
        self._disk.fsync(fd)

    def fdatasync(self, fd: Any) -> None:
        self._before_sync()
        self._disk.fdatasync(fd)


def port_verdicts(*, states_max: int = 10_000) -> dict[bytes, bool]:
    """(state, acks) key -> passed, for the history on SimDisk, checked as crashcheck checks it."""
    disk = SimDisk(random.Random(0))
    disk.makedirs(ROOT)
    for directory in ("/", "/crashcheck", ROOT):  # the root exists and is durable beforehand
        fd = disk.open(directory, os.O_RDONLY)
        disk.fsync(fd)
        disk.close(fd)
    acked: list[str] = []
    verdicts: dict[bytes, bool] = {}

    def crash_point() -> None:
        for state in disk.crash_states(limit=states_max):
            key = state_key(_under_root(state), len(acked))
            if key in verdicts:
                continue
            clone = disk.clone()
            clone.apply_crash_state(state)
            try:
                recover_ledger(ROOT, clone)
                verdicts[key] = not ledger_findings(ROOT, list(acked), clone)
            except Exception:  # noqa: BLE001 - as crashcheck counts it: a recovery that raises fails
                verdicts[key] = False

    write_history(ROOT, _CrashPointDisk(disk, crash_point), lambda kind, key: acked.append(key))
    crash_point()
    return verdicts


def _under_root(state: CrashState) -> CrashState:
    """The state restricted to the workload's root (the two file systems differ outside it)."""
    inside = ROOT + "/"
    return CrashState(dirs=tuple(d for d in state.dirs if d == ROOT or d.startswith(inside)),
                      files=tuple((p, b) for p, b in state.files if p.startswith(inside)))


def crashcheck_verdicts(**options: Any) -> tuple[dict[bytes, bool], Any]:
    """(state, acks) key -> passed, from crashcheck on the production configuration; and the result."""
    from sim.crashcheck import crashcheck

    verdicts: dict[bytes, bool] = {}

    def observe(point: int, acked: list[tuple[str, str]], state: CrashState, message: str | None) -> None:
        verdicts[state_key(_under_root(state), len(acked))] = message is None

    result = crashcheck(workload, recover, check, observer=observe, **options)
    return verdicts, result
