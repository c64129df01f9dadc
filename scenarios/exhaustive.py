"""Every crash state of a short history, checked: the ALICE-style exhaustive mode.

At a chosen instant the disk's pending history is short (a few entry operations and
unsynced writes). The disk enumerates every state a power loss could leave; each is
applied to a clone and the system's own recovery runs on it. The writer recovers lazily,
on the first write to a partition, so recovery is driven by writing one probe record
into each partition's day: the writer must recover and append, and afterwards the
ledger must hold every record whose write had returned plus the probes, every partition
must read without corruption, and sequences must strictly increase.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from functools import lru_cache
from operator import itemgetter
from typing import Any

from omen import FixedClock, LedgerReader, LedgerWriter, SignalEvent
from omen.ledger import LedgerCorruptionError, LedgerWriteError, parsed_manifest_memo, recovery_scan_memo
from omen.ledger.layout import TEMP_SUFFIX
from omen.ledger.writer import ParsedManifests, RecoveryScans
from scenarios.ledger_oracle import BytesMemo, parse_ledger
from scenarios.observers.ledger_files import is_segment
from sim.disk import CrashState, SimDisk

PROBE_RULESET = "exhaustive-probe"


@dataclass(frozen=True)
class CrashStateFinding:
    state_index: int
    states_total: int
    message: str


def _probe(day: str, now: datetime) -> SignalEvent:
    """A record for `day` (noon UTC), written after the crash to make the writer recover that day."""
    moment = datetime.combine(datetime.fromisoformat(day).date(), time(12), tzinfo=timezone.utc)
    return SignalEvent.create(event_id=f"probe-{day}", input_event={"probe": day}, ruleset_version=PROBE_RULESET,
                              category="probe", observed_at=min(moment, now), emitted_at=min(moment, now))


def _days_with_segments(paths: Iterable[str], root: str, day_of: dict[str, str] | None = None) -> list[str]:
    """The days of the partitions that hold a segment file: the partitions `parse_ledger` returns,
    found from the paths alone (parsing every record of every state only to name them cost more
    than the rest of the check). `day_of`: path -> its day ("" for a path that is not a segment
    under `root`), kept by the caller across the states of one check (the same paths, state after
    state); a pure function of the path and `root`, so it must hold paths under this `root` only."""
    prefix = root.rstrip("/") + "/"
    if day_of is None:
        day_of = {}
    days: set[str] = set()
    for path in paths:
        day = day_of.get(path)
        if day is None:
            day = ""
            if path.startswith(prefix):  # normalized paths: <root>/<partition>/<segment> splits in two
                parts = path[len(prefix):].split("/")
                if len(parts) == 2 and is_segment(parts[1]):
                    day = parts[0][:10]
            day_of[path] = day
        if day:
            days.add(day)
    return sorted(days)


# What the reader's port may hand out for a read of a recovered state to be shared (`RecoveredReads`):
# the `os`-like API, whose answers `SimDisk.visible_state` covers, and its constants.
_PORT_NAMES_SHARED = frozenset({
    "open", "read", "pread", "lseek", "fstat", "close", "stat", "listdir", "scandir", "path", "sep",
    "O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND", "O_DIRECTORY",
    "SEEK_SET", "SEEK_CUR", "SEEK_END",
})


class _StateUnderCheck:
    """The `fs` port of one reader kept across the states of a check, pointed at the state under
    check: the reader's memo (by bytes, see omen.ledger.reader) then validates each segment the
    states share once, not once per state. The answers are the same: the memo keys on the bytes.

    `other_names`: whether the reader was handed anything but the `os`-like API (a SimDisk method of
    its own, say `visible_version`): then its read of a state is not shared (`RecoveredReads`)."""

    def __init__(self) -> None:
        self._disk: SimDisk | None = None
        self.other_names = False

    @property
    def disk(self) -> SimDisk | None:
        return self._disk

    @disk.setter
    def disk(self, disk: SimDisk | None) -> None:
        """Puts `disk` under check, dropping the names of the `os`-like API looked up on the last
        one. WHY kept at all: a read makes about 20 port calls, and each went through `__getattr__`;
        an instance attribute is found without it, and is the state's own (a bound method of it)."""
        for name in _PORT_NAMES_SHARED.intersection(vars(self)):
            del self.__dict__[name]
        self._disk = disk

    def __getattr__(self, name: str) -> Any:
        disk = self._disk
        assert disk is not None, "no crash state is under check"
        found = getattr(disk, name)
        if name in _PORT_NAMES_SHARED:
            self.__dict__[name] = found  # what `disk` answers to `name` until another is put under check
        else:
            self.other_names = True
        return found


@dataclass(frozen=True)
class _StateOutcome:
    """What the check found in one crash state at one instant, but for the acknowledged records:
    the one input a later check of the same state and instant may not share (`messages` applies it).

    `failure`: the writer did not recover a day (the only message then); `probes`: the probe records
    written; `ids`: every record id the recovered ledger holds; `later`: the messages that follow the
    loss message (sequence order, partitions the reader refuses)."""

    failure: str | None
    probes: frozenset[str]
    ids: frozenset[str]
    later: tuple[str, ...]

    def messages(self, acknowledged: set[str]) -> list[str]:
        if self.failure is not None:
            return [self.failure]
        messages = []
        ids = self.ids
        # nothing lost (the usual answer) is known without the union and the difference: both sets
        # held by `ids` is exactly an empty `(acknowledged | probes) - ids`
        lost = [] if ids.issuperset(acknowledged) and ids.issuperset(self.probes) else sorted(
            (acknowledged | self.probes) - ids)
        if lost:
            messages.append(f"{len(lost)} acknowledged or probe record(s) lost, e.g. {lost[:3]}")
        messages.extend(self.later)
        return messages


def _outcome_in_state(clone: SimDisk, days: list[str], root: str, now: datetime, reader: LedgerReader,
                      port: _StateUnderCheck, parsed: BytesMemo, probes_by_day: dict[str, SignalEvent],
                      scans: RecoveryScans, reads: "RecoveredReads | None" = None,
                      watch: "_TempTouches | None" = None, manifests: ParsedManifests | None = None) -> _StateOutcome:
    """`watch`: the clone's fault hook (None: no temp-only file); `reads`: the run's shared reads of
    recovered ledgers (None: every recovered ledger is read); `manifests`: the writers' shared
    manifest parses (None: each writer its own)."""
    writer = LedgerWriter(root, fs=clone, clock=FixedClock(now), recovery_scans=scans, parsed_manifests=manifests)
    probes: set[str] = set()
    for day in days:
        probe = probes_by_day.get(day)
        if probe is None:  # the same record for every state at this instant: events are frozen
            probe = probes_by_day[day] = _probe(day, now)
        try:
            probes.add(writer.write(probe).signal_id)
        except (LedgerWriteError, LedgerCorruptionError) as error:
            return _StateOutcome(f"the writer does not recover partition {day}: {type(error).__name__}: {error}",
                                 frozenset(), frozenset(), ())
    writer.close()
    visible_key, files = clone.visible_state()
    if clone.trace_ops:
        reads = None  # each op of the read is a trace event: a shared read would drop them
    found = reads.get(visible_key, root) if reads is not None else None
    if found is None:
        found = _read_recovered(clone, visible_key, files, root, reader, port, parsed, watch)
        if reads is not None:
            reads.put(visible_key, root, found, sum(len(data) for data in files.values()))
    elif watch is not None and found.temp_named & watch.temp_only:
        watch.touched = True  # the shared read named one of this state's temp-only files
    return _StateOutcome(None, frozenset(probes), found.ids, found.later)


class _RecoveredRead:
    """What the oracle and the reader find in a recovered ledger: `ids` and `later` of its
    `_StateOutcome`; `temp_named`: the inodes the read's ops named through a path ending in
    `TEMP_SUFFIX` (any op but an unlink or a listing), for `_TempTouches` of a state sharing it; None
    when the reader was handed more than the `os`-like API, or linked names unwatched (never shared).
    Never changed once made. A plain class: a frozen dataclass costs about 4 M instructions to make
    at import, in every process."""

    __slots__ = ("ids", "later", "temp_named")

    def __init__(self, ids: frozenset[str], later: tuple[str, ...], temp_named: frozenset[int] | None) -> None:
        self.ids = ids
        self.later = later
        self.temp_named = temp_named


def _read_recovered(clone: SimDisk, visible_key: tuple, files: dict[str, bytes], root: str, reader: LedgerReader,
                    port: _StateUnderCheck, parsed: BytesMemo, watch: "_TempTouches | None") -> _RecoveredRead:
    """The ledger the writer left in `clone` (`files`: its `visible_files()`, `visible_key` its
    `visible_state()` key), read by the oracle and by the system's reader: every record id, the
    sequence order, the partitions the reader refuses.

    The reader's ops are watched (`_TempTouches`, noting every inode a temp path names) only when a
    name in the tree ends in `TEMP_SUFFIX`: with none, a temp path names nothing unless the read
    itself links one (an entry op, which the disk counts), so `temp_named` is empty without a
    question per op; a read that made an entry op unwatched is taken as touching every temp."""
    later = []
    recovered = parse_ledger(files, root, memo=parsed)
    ids = frozenset(record.signal_id for partition in recovered.values() for record in partition.records)
    for name, partition in recovered.items():
        sequences = [record.sequence for record in partition.records]
        if any(b <= a for a, b in zip(sequences, sequences[1:])):
            later.append(f"{name}: sequence not increasing")
    assert clone.fault_hook is watch, "the read is watched by the state's watch alone"
    dir_installs = visible_key[0]  # (inode, mode, ((name, inode), ...)) per reachable directory
    temp_names = any(name.endswith(TEMP_SUFFIX) for _, _, entries in dir_installs for name, _ in entries)
    reading = (_TempTouches(clone, watch.temp_only if watch is not None else frozenset(), named=set())
               if temp_names else None)
    entry_ops_before = clone.entry_op_count
    clone.fault_hook = reading
    port.disk = clone  # `reader` reads through `port`
    port.other_names = False
    try:
        for name in reader.list_partitions():
            try:
                sum(1 for _ in reader.read_partition(name))
            except LedgerCorruptionError as error:
                later.append(f"{name} unreadable after recovery: {error}")
    finally:
        clone.fault_hook = watch
    if reading is not None:
        assert reading.named is not None
        named: frozenset[int] | None = frozenset(reading.named)
        if watch is not None and reading.touched:
            watch.touched = True
    elif clone.entry_op_count == entry_ops_before:
        named = frozenset()  # no temp name existed and none was made: no temp path named an inode
    else:
        named = None  # linked names unwatched: not shared, and every temp taken as touched
        if watch is not None:
            watch.touched = True
    return _RecoveredRead(ids, tuple(later), named if not port.other_names else None)


# A recovered ledger's read is kept with its whole visible state (`SimDisk.visible_state`): bounded
# in the bytes of its files, and cleared when full (dropping it changes nothing but speed).
RECOVERED_READS_BYTES_MAX = 32 * 1024 * 1024


class RecoveredReads:
    """Reads of recovered ledgers by their whole visible state: a crash state the writer recovered
    to the same disk as one already read is not read again. In the exhaustive scenarios about two
    in five recovered states end the same (their probe written, their manifest rewritten, their torn
    tail cut), whatever they started from.

    WHY exact: the read after `writer.close()` is the oracle's parse of `visible_files()` and the
    system's reader going through the `os`-like API of the clone (the port notes any other name it
    hands out, and such a read is never kept); two clones with equal `SimDisk.visible_state` keys
    answer every op of that API alike. The reader is the check's shared one, whose memos key on
    bytes (`CrashCheckMemos`), so the same ops give the same answers, and the read does not depend
    on the instant (no clock reaches it: the probes and the acknowledged records are applied by the
    state's outcome). What the read's ops named through temp paths is kept with it, so a state
    sharing it learns whether the read touched one of its temp-only files (`_TempTouches`). A clone
    that traces its ops (`trace_ops`) reads every state: its read's events reach the trace."""

    def __init__(self, bytes_max: int = RECOVERED_READS_BYTES_MAX) -> None:
        assert bytes_max >= 0
        self.bytes_max = bytes_max
        self._known: dict[tuple, _RecoveredRead] = {}
        self._bytes = 0
        self.hits = 0

    def get(self, visible_key: tuple, root: str) -> _RecoveredRead | None:
        found = self._known.get((visible_key, root))
        if found is not None:
            self.hits += 1
        return found

    def put(self, visible_key: tuple, root: str, found: _RecoveredRead, state_bytes: int) -> None:
        """Keeps `found` unless its read went past the `os`-like API (`temp_named` None)."""
        key = (visible_key, root)
        assert key not in self._known, "a recovered ledger is read once per visible state"
        if found.temp_named is None or state_bytes > self.bytes_max:
            return
        if self._bytes + state_bytes > self.bytes_max:
            self._known.clear()
            self._bytes = 0
        self._known[key] = found
        self._bytes += state_bytes


# A run checks up to `points_max` instants of up to `states_max` states; the states' bytes are what
# the memo holds, so it is bounded in bytes (and cleared when full, like BytesMemo).
STATE_OUTCOMES_BYTES_MAX = 32 * 1024 * 1024


class StateOutcomes:
    """Outcomes by (crash state, instant): a state a run already checked at the same instant is not
    recovered again. Exhaustive checks a few metadata steps apart inside one rollover or seal run at
    the same simulated instant (no time passes inside a write), and many of their states are byte for
    byte the same (about one in five in `power_loss_metadata`), or differ only in what a leftover
    temp file holds (a replace's temp: empty, cut, garbage, whole).

    WHY exact: a check's outcome in a state is a function of the disk the state installs, the instant
    (the writer's clock and the probes) and the ledger root alone. The key holds all of them whole:
    every directory's inode, mode and entries and every file's inode, mode and bytes (what
    `SimDisk.clone_in_state` installs; equal keys compare every byte), the instant and the root. The
    rest of a clone (op and inode counters, its rng, the change feed) is never read by the writer or
    the reader, and the other memos the check uses key on bytes. The acknowledged records are applied
    afresh at every hit (`_StateOutcome.messages`).

    The second key, blind to the bytes of temp-only files (`_temp_blind_key`), is shared only by an
    outcome whose check was watched touching none of those files (`_TempTouches`): no open, stat,
    read or rename of one, only unlinks. The check is deterministic, so a state that differs from
    it only in those bytes (same names, inodes, modes and lengths) runs the same ops to the same
    outcome. Nothing is assumed of the code under test: a writer that opens a leftover temp (a bug
    or a design) has its states recovered one by one."""

    def __init__(self, bytes_max: int = STATE_OUTCOMES_BYTES_MAX) -> None:
        assert bytes_max >= 0
        self.bytes_max = bytes_max
        self._known: dict[tuple, _StateOutcome] = {}
        self._bytes = 0
        self.hits = 0

    def get(self, key: tuple, blind_key: tuple | None = None) -> _StateOutcome | None:
        found = self._known.get(key)
        if found is None and blind_key is not None:
            found = self._known.get(blind_key)
        if found is not None:
            self.hits += 1
        return found

    def put(self, key: tuple, outcome: _StateOutcome, state_bytes: int, blind_key: tuple | None = None) -> None:
        """`blind_key`: also share it with the states that differ only in temp-only bytes (only for
        an outcome whose check touched none of them)."""
        assert key not in self._known, "an outcome is computed once per key"
        assert blind_key != key, "a blind key differs from the exact one (its temp bytes are lengths)"
        if state_bytes > self.bytes_max:
            return
        if self._bytes + state_bytes > self.bytes_max:
            self._known.clear()  # dropping the memo changes nothing but speed
            self._bytes = 0
        self._known[key] = outcome
        if blind_key is not None:
            self._known.setdefault(blind_key, outcome)
        self._bytes += state_bytes


def _state_key(state: CrashState, now: datetime, root: str) -> tuple[tuple, int]:
    """(the memo key of `state` at `now` under `root`, the bytes it holds)."""
    dir_installs, file_installs = state.install
    return (dir_installs, file_installs, now, root), sum(map(len, map(_THIRD, file_installs)))


_FIRST, _THIRD = itemgetter(0), itemgetter(2)
_NO_INODES: frozenset[int] = frozenset()
# the directories' entry tuples whose temp and other links a run's checks keep (`_links_by_kind`)
LINKS_BY_KIND_MAX = 4096


@lru_cache(maxsize=LINKS_BY_KIND_MAX)
def _links_by_kind(entries: tuple[tuple[str, int], ...]) -> tuple[frozenset[int], frozenset[int]]:
    """(the inodes a name ending in `TEMP_SUFFIX` links, the inodes another name links) of one
    directory's `(name, inode)` entries. WHY a memo: a pure function of the tuple, and the states of
    a check share most directories (the crash model builds each namespace choice once), so their
    entries were walked in Python state after state; a hit hashes the tuple in C. Bounded LRU:
    dropping an entry costs speed only."""
    temp_linked: set[int] = set()
    other_linked: set[int] = set()
    for name, child in entries:
        (temp_linked if name.endswith(TEMP_SUFFIX) else other_linked).add(child)
    return frozenset(temp_linked), frozenset(other_linked)


def _temp_only_inodes(state: CrashState) -> frozenset[int]:
    """The files of `state` that only names ending in `TEMP_SUFFIX` link (a replace's leftover temp)."""
    dir_installs, _ = state.install
    links = [_links_by_kind(entries) for _, _, entries in dir_installs]
    temp_linked = [temp for temp, _ in links if temp]
    if not temp_linked:
        return _NO_INODES
    return frozenset().union(*temp_linked).difference(*[other for _, other in links if other])


def _temp_blind_key(state: CrashState, now: datetime, root: str, temp_only: frozenset[int]) -> tuple:
    """The exact key with each temp-only file's bytes replaced by their length: every name, inode,
    mode and size stays (a listing or a directory entry's stat sees those without an op on the file)."""
    dir_installs, file_installs = state.install
    # each file once in `file_installs`: only the temp-only ones' entries are rebuilt, found by
    # inode in C (a temp-only directory has no entry there); the tuple equals the one rebuilt file
    # by file, so it hashes and compares the same
    files = list(file_installs)
    inodes = list(map(_FIRST, file_installs))
    for ino in temp_only:
        if ino in inodes:
            position = inodes.index(ino)
            _, mode, data = files[position]
            files[position] = (ino, mode, len(data))
    return (dir_installs, tuple(files), now, root)


class _TempTouches:
    """A clone's fault hook that decides no fault and notes whether an op other than an unlink or
    a listing named a temp-only file (`SimDisk` asks its hook at every op, with the op's path: an
    open, stat, read, rename or replace of it). An fd's reads and writes follow an open, which is
    noted. The oracle's own parse reads only segment and manifest names (`parse_ledger`). Only a
    path whose last name ends in `TEMP_SUFFIX` is walked: a temp-only file has no other name (the
    disk has no symlinks), so no other path reaches it."""

    def __init__(self, clone: SimDisk, temp_only: frozenset[int], named: set[int] | None = None) -> None:
        self._inode_of = clone.visible_inode
        self.temp_only = temp_only
        self.touched = False
        # when a set: every inode such an op named, temp-only or not (what `RecoveredReads` keeps)
        self.named = named

    def decide(self, op: str, path: str, nbytes: int) -> None:
        if (path.endswith(TEMP_SUFFIX) and op not in ("unlink", "listdir")
                and (not self.touched or self.named is not None)):
            ino = self._inode_of(path)
            if ino in self.temp_only:
                self.touched = True
            if self.named is not None and ino is not None:
                self.named.add(ino)
        return None


@dataclass
class CrashCheckMemos:
    """What the checks of one run share: the reader pointed at the state under check (its memo of
    verified segments), the oracle's parses and the writers' recovery scans and manifest parses.

    WHY across checks, not only across the states of one: a run checks up to `points_max` instants,
    and between two of them most segments did not change (sealed ones never do). Every memo keys on
    a segment's bytes (compared whole) and the rules it was read under, so a state gets the answers
    it would compute; each is bounded in bytes held. Probes are shared by the checks at one instant
    (`probes_at`): a probe is a function of its day and the instant alone, and an event is frozen.
    """

    port: _StateUnderCheck
    reader: LedgerReader
    parsed: BytesMemo
    scans: RecoveryScans
    outcomes: StateOutcomes | None  # None: every state is recovered (the slow path the memo is held to)
    reads: RecoveredReads | None = None  # None: every recovered ledger is read (the same slow path)
    manifests: ParsedManifests | None = None  # the writers' manifest parses (None: each writer its own)
    probes: dict[datetime, dict[str, SignalEvent]] = field(default_factory=dict)  # instant -> day -> probe
    day_of: dict[str, dict[str, str]] = field(default_factory=dict)  # root -> path -> its day (`days_of`)

    def days_of(self, root: str) -> dict[str, str]:
        """The days of the paths under `root` the run's checks met (`_days_with_segments`). WHY the
        run's, not one check's: the checks of a run list the same paths, check after check, and
        each check walked them again. Bounded: `DAY_OF_PATHS_MAX` paths per root, then cleared
        (dropping costs speed)."""
        found = self.day_of.get(root)
        if found is None or len(found) >= DAY_OF_PATHS_MAX:
            found = self.day_of[root] = {}
        return found

    def probes_at(self, now: datetime) -> dict[str, SignalEvent]:
        """The probes of the checks at `now`, by day (filled as the states ask). Bounded: the
        instants of at most `PROBE_INSTANTS_MAX` checks, cleared when full (dropping costs speed)."""
        found = self.probes.get(now)
        if found is None:
            if len(self.probes) >= PROBE_INSTANTS_MAX:
                self.probes.clear()
            found = self.probes[now] = {}
        return found


# the instants whose probes a run's checks keep (several checks a few metadata steps apart share one)
PROBE_INSTANTS_MAX = 256
# the paths whose days a run's checks keep (`CrashCheckMemos.days_of`), per root
DAY_OF_PATHS_MAX = 65_536


def crash_check_memos(root: str, *, reuse_outcomes: bool = True) -> CrashCheckMemos:
    """Fresh memos for the checks of one ledger under `root` (one run's). `reuse_outcomes=False`:
    no state's outcome and no recovered ledger's read is reused (`StateOutcomes`, `RecoveredReads`),
    for specs holding the memos to the slow path."""
    port = _StateUnderCheck()
    return CrashCheckMemos(port=port, reader=LedgerReader(root, fs=port), parsed=BytesMemo(),
                           scans=recovery_scan_memo(), outcomes=StateOutcomes() if reuse_outcomes else None,
                           reads=RecoveredReads() if reuse_outcomes else None, manifests=parsed_manifest_memo())


def check_all_crash_states(
    disk: SimDisk, root: str, acknowledged: set[str], *, now: datetime, states_max: int,
    memos: CrashCheckMemos | None = None,
) -> tuple[int, list[CrashStateFinding]]:
    """Returns (states checked, findings). Bounded by `states_max`; the disk itself is untouched.
    `memos`: shared with the other checks of the same run (`crash_check_memos`), else fresh."""
    states = disk.crash_states(limit=states_max)
    findings: list[CrashStateFinding] = []
    if memos is None:
        memos = crash_check_memos(root)
    probes_by_day = memos.probes_at(now)
    day_of = memos.days_of(root)
    # a disk that traces its ops clones that trace into every state: each recovery's ops are trace
    # events then, and a shared outcome would drop them (no scenario does today; the guard says so)
    outcomes = memos.outcomes if not disk.trace_ops else None
    # every visit records the `disk.crash` event of its state, memo hit or not: a clone is made
    # only for a state recovered, and the trace is the one cloning every state gives
    for index, visit in enumerate(disk.crash_state_visits(states)):
        state = visit.state
        key, state_bytes = _state_key(state, now, root) if outcomes is not None else (None, 0)
        temp_only = _temp_only_inodes(state) if outcomes is not None else frozenset()
        blind_key = _temp_blind_key(state, now, root, temp_only) if temp_only else None
        outcome = outcomes.get(key, blind_key) if outcomes is not None else None
        if outcome is None:
            days = _days_with_segments((path for path, _ in state.files), root, day_of)
            clone = visit.clone()
            watch = _TempTouches(clone, temp_only) if temp_only else None
            assert clone.fault_hook is None, "a clone draws no fault"
            clone.fault_hook = watch
            try:
                outcome = _outcome_in_state(clone, days, root, now, memos.reader, memos.port, memos.parsed,
                                            probes_by_day, memos.scans, memos.reads, watch, memos.manifests)
            finally:
                clone.fault_hook = None
            if outcomes is not None:
                outcomes.put(key, outcome, state_bytes, None if watch is None or watch.touched else blind_key)
        findings.extend(CrashStateFinding(index, len(states), message) for message in outcome.messages(acknowledged))
    return len(states), findings
