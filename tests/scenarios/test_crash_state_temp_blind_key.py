"""The exhaustive check shares one crash state's outcome with the states that differ from it only
in what a leftover temp file holds (`scenarios.exhaustive._temp_blind_key`), and only when its own
check was watched touching none of those files (`_TempTouches`). Specs: the memo's findings equal
the slow path's, states do fold together, and a writer that reads its leftover temps (whatever it
does with them) gets every such state recovered by itself."""
from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scenarios.exhaustive as exhaustive
from omen import FixedClock, LedgerReader, LedgerWriter, SignalEvent
from omen.ledger import LedgerCorruptionError
from omen.ledger.fs_ops import fsync_dir
from omen.ledger.writer import LedgerWriter as Writer
from scenarios.exhaustive import check_all_crash_states, crash_check_memos
from sim.disk import SimDisk
from sim.disk.fault import DiskFault

ROOT = "/ledger"
NOW = datetime(2026, 1, 2, 9, tzinfo=timezone.utc)
DAY_DIR = f"{ROOT}/2026-01-02"
TEMPS = (f"{DAY_DIR}/_manifest.json.tmp", f"{DAY_DIR}/_CURRENT.tmp", "/other/x.tmp")


def _event(index: int) -> SignalEvent:
    moment = NOW - timedelta(minutes=index + 1)
    return SignalEvent.create(event_id=f"e-{index}", input_event={"n": index}, ruleset_version="spec",
                              category="spec", observed_at=moment, emitted_at=moment)


def _ledger_with_temps(records: int, temps: list[tuple[str, bytes, bytes]]) -> tuple[SimDisk, set[str]]:
    """A durable ledger of `records` records, then each temp written durably with its first bytes
    and rewritten in place, not fsynced, with its second (the same length): its crash states differ
    in the temp's bytes alone."""
    disk = SimDisk(random.Random(0))
    writer = LedgerWriter(ROOT, fs=disk, clock=FixedClock(NOW))
    acknowledged = {writer.write(_event(index)).signal_id for index in range(records)}
    writer.close()
    disk.mkdir("/other")
    for path, first, second in temps:
        fd = disk.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            disk.write(fd, first)
            disk.fsync(fd)
            disk.lseek(fd, 0, os.SEEK_SET)
            disk.write(fd, second)
        finally:
            disk.close(fd)
    for directory in ("/other", DAY_DIR, ROOT, "/"):
        fsync_dir(disk, directory)
    return disk, acknowledged


def _checked(disk: SimDisk, acknowledged: set[str], *, reuse: bool) -> tuple[tuple, int]:
    """(the check's (states, findings), the states recovered to get them)."""
    recovered = [0]
    outcome_in_state = exhaustive._outcome_in_state

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003
        recovered[0] += 1
        return outcome_in_state(*args, **kwargs)

    exhaustive._outcome_in_state = counted
    try:
        found = check_all_crash_states(disk, ROOT, acknowledged, now=NOW, states_max=256,
                                       memos=crash_check_memos(ROOT, reuse_outcomes=reuse))
    finally:
        exhaustive._outcome_in_state = outcome_in_state
    return found, recovered[0]


SAME_LENGTH_PAIRS = st.integers(min_value=0, max_value=24).flatmap(
    lambda size: st.tuples(st.binary(min_size=size, max_size=size), st.binary(min_size=size, max_size=size)))


@settings(max_examples=20, deadline=None)
@given(records=st.integers(min_value=1, max_value=3),
       temps=st.lists(st.tuples(st.sampled_from(TEMPS), SAME_LENGTH_PAIRS), min_size=1, max_size=3,
                      unique_by=lambda temp: temp[0]))
def test_the_memo_finds_what_recovering_every_state_finds(records, temps) -> None:
    disk, acknowledged = _ledger_with_temps(records, [(path, a, b) for path, (a, b) in temps])
    (reused, _), (fresh, _) = _checked(disk, acknowledged, reuse=True), _checked(disk, acknowledged, reuse=False)
    assert reused == fresh


def test_states_that_differ_only_in_a_temps_bytes_are_recovered_once() -> None:
    disk, acknowledged = _ledger_with_temps(2, [(TEMPS[0], b'{"half": ', b"garbage!!"), (TEMPS[2], b"aa", b"bb")])
    (reused, recovered), (fresh, every) = (_checked(disk, acknowledged, reuse=True),
                                           _checked(disk, acknowledged, reuse=False))
    assert reused == fresh and reused[0] == every == 4  # the two temps' two versions each
    assert recovered == 1, "the four states differ only in temp bytes no check touched"


@pytest.fixture
def writer_reading_its_temps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer whose recovery opens each leftover temp and refuses a day whose temp is not JSON
    (a design that trusts temps, or a bug): the temp's bytes decide the outcome."""
    recover = Writer._recover

    def reading(self, state):  # noqa: ANN001
        try:
            names = sorted(self._fs.listdir(state.path))
        except FileNotFoundError:
            names = []
        for name in names:
            if name.endswith(".tmp"):
                fd = self._fs.open(f"{state.path}/{name}", os.O_RDONLY)
                try:
                    data = self._fs.read(fd, 1 << 16)
                finally:
                    self._fs.close(fd)
                if data and not data.startswith(b"{"):
                    raise LedgerCorruptionError(state.name, name, 0, "a leftover temp that is not JSON")
        return recover(self, state)

    monkeypatch.setattr(Writer, "_recover", reading)


def test_a_writer_that_reads_its_temps_has_each_state_recovered_by_itself(writer_reading_its_temps) -> None:
    disk, acknowledged = _ledger_with_temps(2, [(TEMPS[0], b'{"half": ', b"garbage!!")])
    (reused, recovered), (fresh, every) = (_checked(disk, acknowledged, reuse=True),
                                           _checked(disk, acknowledged, reuse=False))
    states, findings = fresh
    assert states == every == 2 and len({finding.state_index for finding in findings}) == 1  # one refused
    assert reused == fresh and recovered == 2, "the watched check opened the temp: nothing shared"


def test_a_temps_length_stays_in_the_key_a_listing_shows_it_without_an_op_on_the_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that refuses a day holding a non-empty leftover temp, judged from its directory's
    scandir entries alone (no op names the temp): the empty and the written temp keep apart."""
    recover = Writer._recover

    def sizing(self, state):  # noqa: ANN001
        try:
            entries = list(self._fs.scandir(state.path))
        except FileNotFoundError:
            entries = []
        if any(entry.name.endswith(".tmp") and entry.stat().st_size for entry in entries):
            raise LedgerCorruptionError(state.name, "_manifest.json.tmp", 0, "a leftover temp that is not empty")
        return recover(self, state)

    monkeypatch.setattr(Writer, "_recover", sizing)
    disk, acknowledged = _ledger_with_temps(2, [(TEMPS[0], b"", b"")])
    fd = disk.open(TEMPS[0], os.O_WRONLY)
    try:
        disk.write(fd, b"grown")  # not fsynced: states with the empty temp and with this one
    finally:
        disk.close(fd)
    (reused, recovered), (fresh, every) = (_checked(disk, acknowledged, reuse=True),
                                           _checked(disk, acknowledged, reuse=False))
    states, findings = fresh
    assert states == every >= 2 and 0 < len({finding.state_index for finding in findings}) < states
    assert reused == fresh


class _LieAboutSegmentFsyncs:
    """A fault hook that makes every fsync of a segment a lie: the last records stay pending."""

    def decide(self, op: str, path: str, nbytes: int) -> DiskFault | None:
        return DiskFault("fsync_lie") if op == "fsync" and path.endswith(".log") else None


def test_a_reader_that_reads_a_leftover_temp_keeps_the_states_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that opens a temp the writer leaves (one in the ledger root) and refuses the ledger
    when it is not JSON: states whose recovered ledgers are read once (`RecoveredReads`: a torn
    tail cut, an absent one) must still learn the read touched their temp, or a state differing
    from one of them in the temp's bytes alone would be judged by that state's outcome."""
    temp = f"{ROOT}/x.tmp"
    disk, acknowledged = _ledger_with_temps(1, [(temp, b'{"a": 1}', b"garbage!")])
    disk.fault_hook = _LieAboutSegmentFsyncs()
    writer = LedgerWriter(ROOT, fs=disk, clock=FixedClock(NOW))
    acknowledged.add(writer.write(_event(7)).signal_id)  # pending: absent, torn or whole after a crash
    writer.close()
    disk.fault_hook = None
    read_partition = LedgerReader.read_partition

    def reading_the_temp(self, partition):  # noqa: ANN001
        try:
            fd = self._fs.open(temp, os.O_RDONLY)
        except FileNotFoundError:
            data = b"{"
        else:
            try:
                data = self._fs.read(fd, 1 << 16)
            finally:
                self._fs.close(fd)
        if not data.startswith(b"{"):
            raise LedgerCorruptionError(partition, "x.tmp", 0, "a leftover temp that is not JSON")
        yield from read_partition(self, partition)

    monkeypatch.setattr(LedgerReader, "read_partition", reading_the_temp)
    memos = crash_check_memos(ROOT)
    reused = check_all_crash_states(disk, ROOT, acknowledged, now=NOW, states_max=256, memos=memos)
    fresh = check_all_crash_states(disk, ROOT, acknowledged, now=NOW, states_max=256,
                                   memos=crash_check_memos(ROOT, reuse_outcomes=False))
    states, findings = fresh
    assert reused == fresh and 0 < len({finding.state_index for finding in findings}) < states
    assert memos.reads is not None and memos.reads.hits > 0, "some recovered ledger's read is shared"


def test_a_reader_that_links_a_name_is_never_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that makes a name while no temp name exists (it is not watched then, see
    `_read_recovered`): nothing says what its ops named, so its read is kept for no other state."""
    disk, acknowledged = _ledger_with_temps(1, [])
    disk.fault_hook = _LieAboutSegmentFsyncs()
    writer = LedgerWriter(ROOT, fs=disk, clock=FixedClock(NOW))
    acknowledged.add(writer.write(_event(7)).signal_id)
    writer.close()
    disk.fault_hook = None
    read_partition = LedgerReader.read_partition

    def marking(self, partition):  # noqa: ANN001
        fd = self._fs.open(f"{ROOT}/{partition}/read.mark", os.O_WRONLY | os.O_CREAT, 0o644)
        self._fs.close(fd)
        yield from read_partition(self, partition)

    monkeypatch.setattr(LedgerReader, "read_partition", marking)
    memos = crash_check_memos(ROOT)
    reused = check_all_crash_states(disk, ROOT, acknowledged, now=NOW, states_max=256, memos=memos)
    fresh = check_all_crash_states(disk, ROOT, acknowledged, now=NOW, states_max=256,
                                   memos=crash_check_memos(ROOT, reuse_outcomes=False))
    assert reused == fresh and reused[0] > 1
    assert memos.reads is not None and memos.reads.hits == 0
