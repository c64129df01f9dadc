"""The persistence model: what is durable when, and what a crash may keep."""
from __future__ import annotations

import errno
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.disk import CrashStateLimitError, SimDisk

W = os.O_WRONLY | os.O_CREAT
SEEDS = range(200)


def fsync_path(disk: SimDisk, path: str) -> None:
    fd = disk.open(path, os.O_RDONLY)
    disk.fsync(fd)
    disk.close(fd)


def write_file(disk: SimDisk, path: str, data: bytes, *, sync: bool = False) -> None:
    fd = disk.open(path, W, 0o644)
    disk.write(fd, data)
    if sync:
        disk.fsync(fd)
    disk.close(fd)


def outcomes(build, seeds=SEEDS) -> list[tuple[dict[str, bytes], object]]:
    """Run `build` on a fresh disk per seed, crash it, return (files after, report) per seed."""
    result = []
    for seed in seeds:
        disk = SimDisk(random.Random(seed))
        build(disk)
        report = disk.crash()
        result.append((disk.visible_files(), report))
    return result


# ------------------------------------------------------------------ durable vs visible

def test_unsynced_writes_are_visible_but_not_durable(disk):
    write_file(disk, "/f", b"abc")
    fsync_path(disk, "/")
    assert disk.visible_files() == {"/f": b"abc"}
    assert disk.durable_files() == {"/f": b""}
    assert disk.durable_size("/f") == 0


def test_a_file_fsync_does_not_make_its_new_entry_durable_under_posix(disk):
    write_file(disk, "/f", b"abc", sync=True)
    assert disk.durable_files() == {}
    assert disk.durable_size("/f") is None
    fsync_path(disk, "/")
    assert disk.durable_files() == {"/f": b"abc"}
    assert disk.durable_size("/f") == 3
    assert disk.durable_bytes("/f") == b"abc"
    assert disk.durable_bytes("/f", 1) == b"bc", "the tail after a prefix the caller already holds"
    assert disk.durable_bytes("/f", 3) == b""
    assert disk.durable_bytes("/nope") is None


def test_durable_state_is_the_four_durable_answers_in_one_look(disk):
    """durable_state(path, start) == (durable_size, durable_version, durable_inode, durable_bytes from
    start), through not-yet-durable, durable, grown, rewritten and missing files."""

    def four(path: str, start_bytes: int):
        size = disk.durable_size(path)
        if size is None:
            return None
        return size, disk.durable_version(path), disk.durable_inode(path), disk.durable_bytes(path, start_bytes)

    write_file(disk, "/f", b"abc", sync=True)
    assert disk.durable_state("/f") is None and four("/f", 0) is None
    fsync_path(disk, "/")
    assert disk.durable_state("/f", 1) == four("/f", 1) == (3, disk.durable_version("/f"), disk.durable_inode("/f"), b"bc")
    write_file(disk, "/f", b"xy", sync=True)  # rewritten from the start: the version moves
    for start_bytes in (0, 1, 2, 5):
        assert disk.durable_state("/f", start_bytes) == four("/f", start_bytes)
    assert disk.durable_state("/nope") is None and disk.durable_state("/") is None


def test_a_new_directory_needs_its_parent_fsynced_before_its_files_are_durable(disk):
    disk.makedirs("/ledger/day")
    write_file(disk, "/ledger/day/seg", b"x", sync=True)
    fsync_path(disk, "/ledger/day")
    fsync_path(disk, "/ledger")
    assert disk.durable_files() == {}
    fsync_path(disk, "/")
    assert disk.durable_files() == {"/ledger/day/seg": b"x"}


def test_ext4_ordered_file_fsync_also_persists_the_files_new_entry_and_new_parents():
    disk = SimDisk(random.Random(0), profile="ext4-ordered")
    write_file(disk, "/before", b"data never synced")
    disk.makedirs("/ledger/day")
    write_file(disk, "/after", b"")
    write_file(disk, "/ledger/day/seg", b"x", sync=True)
    # the root's ops up to the one linking /ledger are committed, in order; /after is not
    assert disk.durable_files() == {"/before": b"", "/ledger/day/seg": b"x"}


def test_ext4_ordered_file_fsync_does_not_persist_a_later_rename():
    disk = SimDisk(random.Random(0), profile="ext4-ordered")
    write_file(disk, "/tmp", b"new", sync=True)
    disk.rename("/tmp", "/final")
    assert disk.durable_files() == {"/tmp": b"new"}


def test_fsync_of_a_file_applies_only_the_bytes_written_since_the_last_fsync(disk):
    fd = disk.open("/f", W)
    disk.write(fd, b"a" * 10)
    disk.fsync(fd)
    disk.write(fd, b"b" * 5)
    disk.ftruncate(fd, 12)
    disk.fsync(fd)
    fsync_path(disk, "/")
    assert disk.durable_files() == {"/f": b"a" * 10 + b"bb"}


# ------------------------------------------------------------------ crash properties

def test_fsynced_data_with_fsynced_entries_always_survives():
    def build(disk):
        disk.mkdir("/d")
        write_file(disk, "/d/f", b"durable" * 100, sync=True)
        fsync_path(disk, "/d")
        fsync_path(disk, "/")
        fd = disk.open("/d/f", os.O_WRONLY | os.O_APPEND)
        disk.write(fd, b"+unsynced" * 100)
        write_file(disk, "/d/g", b"never synced")

    for files, _ in outcomes(build):
        assert files["/d/f"].startswith(b"durable" * 100)


def test_unsynced_data_may_vanish_and_may_survive():
    def build(disk):
        write_file(disk, "/f", b"durable", sync=True)
        fsync_path(disk, "/")
        fd = disk.open("/f", os.O_WRONLY | os.O_APPEND)
        disk.write(fd, b"+tail")

    sizes = {len(files["/f"]) for files, _ in outcomes(build)}
    assert 7 in sizes and 12 in sizes


def test_a_new_file_in_a_never_fsynced_directory_is_lost_in_some_crashes_and_kept_in_others():
    def build(disk):
        write_file(disk, "/f", b"data", sync=True)

    kept = [("/f" in files) for files, _ in outcomes(build)]
    assert any(kept) and not all(kept)
    lost_reports = [report for files, report in outcomes(build) if "/f" not in files]
    assert all(report.lost_files == ("/f",) for report in lost_reports)


def test_a_rename_without_a_directory_fsync_leaves_the_old_or_the_new_name_never_neither():
    def build(disk):
        write_file(disk, "/d.tmp", b"new", sync=True)
        fsync_path(disk, "/")
        disk.rename("/d.tmp", "/d")

    seen = set()
    for files, _ in outcomes(build):
        assert sorted(files) in (["/d"], ["/d.tmp"])
        assert list(files.values()) == [b"new"]
        seen.add(tuple(files))
    assert seen == {("/d",), ("/d.tmp",)}


def test_a_replace_over_an_existing_file_leaves_the_old_or_the_new_content_whole():
    def build(disk):
        write_file(disk, "/CURRENT", b"segment-1", sync=True)
        write_file(disk, "/CURRENT.tmp", b"segment-2", sync=True)
        fsync_path(disk, "/")
        disk.replace("/CURRENT.tmp", "/CURRENT")

    seen = set()
    for files, _ in outcomes(build):
        assert files in ({"/CURRENT": b"segment-2"}, {"/CURRENT": b"segment-1", "/CURRENT.tmp": b"segment-2"})
        seen.add(files["/CURRENT"])
    assert seen == {b"segment-1", b"segment-2"}


def test_a_cross_directory_rename_is_atomic_in_every_crash_state(disk):
    disk.mkdir("/a")
    disk.mkdir("/b")
    write_file(disk, "/a/f", b"payload", sync=True)
    for path in ("/a", "/b", "/"):
        fsync_path(disk, path)
    disk.rename("/a/f", "/b/f")
    write_file(disk, "/a/later", b"")
    states = disk.crash_states()
    names = {tuple(sorted(p for p, _ in s.files if p.endswith("/f"))) for s in states}
    assert names == {("/a/f",), ("/b/f",)}


def test_an_fsync_of_either_parent_persists_a_cross_directory_rename_in_both(disk):
    disk.mkdir("/a")
    disk.mkdir("/b")
    write_file(disk, "/a/f", b"x", sync=True)
    for path in ("/a", "/b", "/"):
        fsync_path(disk, path)
    disk.rename("/a/f", "/b/f")
    fsync_path(disk, "/b")
    assert disk.durable_files() == {"/b/f": b"x"}


def test_descriptors_are_invalid_after_a_crash_and_the_disk_is_usable_again(disk):
    fd = disk.open("/f", W)
    disk.crash()
    with pytest.raises(OSError) as info:
        disk.write(fd, b"x")
    assert info.value.errno == errno.EBADF
    assert disk.open("/g", W) == 3


def test_after_a_crash_what_is_visible_is_exactly_what_is_durable(disk):
    write_file(disk, "/f", b"abc" * 300)
    fsync_path(disk, "/")
    disk.crash()
    assert disk.visible_files() == disk.durable_files()


def test_the_crash_records_one_trace_event_with_what_it_kept_and_dropped(disk, trace):
    write_file(disk, "/keep", b"k", sync=True)
    fsync_path(disk, "/")
    fd = disk.open("/keep", os.O_WRONLY | os.O_APPEND)
    disk.write(fd, b"more")
    disk.crash()
    [event] = trace.of_kind("disk.crash")
    assert event["data_ops"][0]["path"] == "/keep"
    assert event["data_ops"][0]["kept"] + event["data_ops"][0]["dropped"] == 1
    assert set(event) >= {"kept_entry_ops", "dropped_entry_ops", "lost_files", "torn"}


def test_the_same_seed_and_history_give_the_same_crash_state():
    def build(disk):
        disk.makedirs("/x/y")
        for i in range(5):
            write_file(disk, f"/x/y/f{i}", bytes([i]) * 700)
    first = outcomes(build, seeds=[11])
    second = outcomes(build, seeds=[11])
    assert first[0][0] == second[0][0]


# ------------------------------------------------------------------ every outcome class is reachable

def classify(files: dict[str, bytes], report) -> set[str]:
    classes = set()
    classes.add("new_entry_kept" if "/new" in files else "new_entry_dropped")
    if "/new" in files:
        data = files["/new"]
        if data == b"N" * 1500:
            classes.add("data_all_kept")
        elif data == b"":
            classes.add("data_none_kept")
        else:
            classes.add("data_partial")
    classes.add("rename_new" if "/renamed" in files else "rename_old")
    for region in report.torn:
        classes.add("torn_" + region.fill)
    if "/new" in files and 0 < len(files["/new"]) < 1500 and len(files["/new"]) % 512 == 0:
        classes.add("torn_absent")
    return classes


def test_every_crash_outcome_class_is_reachable_across_seeds():
    def build(disk):
        write_file(disk, "/old", b"o", sync=True)
        fsync_path(disk, "/")
        disk.rename("/old", "/renamed")
        fd = disk.open("/new", W)
        disk.write(fd, b"N" * 500)
        disk.write(fd, b"N" * 1000)

    seen = set()
    for files, report in outcomes(build, seeds=range(400)):
        seen |= classify(files, report)
    assert seen == {"new_entry_kept", "new_entry_dropped", "data_all_kept", "data_none_kept",
                    "data_partial", "rename_new", "rename_old", "torn_zeros", "torn_garbage", "torn_absent"}


# ------------------------------------------------------------------ no byte that was never written

ops_strategy = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(0, 2), st.integers(0, 1500), st.integers(1, 1200)),
        st.tuples(st.just("append"), st.integers(0, 2), st.integers(1, 1200)),
        st.tuples(st.just("truncate"), st.integers(0, 2), st.integers(0, 2000)),
        st.tuples(st.just("fsync"), st.integers(0, 2)),
        st.tuples(st.just("fsync_dir")),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(ops=ops_strategy, seed=st.integers(0, 2**32))
def test_no_byte_survives_a_crash_that_was_never_written_except_in_a_region_marked_torn(ops, seed):
    disk = SimDisk(random.Random(seed))
    fds = [disk.open(f"/f{i}", os.O_RDWR | os.O_CREAT) for i in range(3)]
    counter = 0
    ever: dict[str, dict[int, set[int]]] = {}

    def note() -> None:
        for path, data in disk.visible_files().items():
            seen = ever.setdefault(path, {})
            for pos, value in enumerate(data):
                seen.setdefault(pos, set()).add(value)

    for op in ops:
        counter += 1
        if op[0] == "write":
            disk.lseek(fds[op[1]], op[2], os.SEEK_SET)
            disk.write(fds[op[1]], bytes([counter]) * op[3])
        elif op[0] == "append":
            disk.lseek(fds[op[1]], 0, os.SEEK_END)
            disk.write(fds[op[1]], bytes([counter]) * op[2])
        elif op[0] == "truncate":
            disk.ftruncate(fds[op[1]], op[2])
        elif op[0] == "fsync":
            disk.fsync(fds[op[1]])
        else:
            fsync_path(disk, "/")
        note()
    report = disk.crash()
    for path, data in disk.visible_files().items():
        torn = [(t.start, t.end) for t in report.torn if t.path == path]
        for pos, value in enumerate(data):
            if any(start <= pos < end for start, end in torn):
                continue
            assert value in ever.get(path, {}).get(pos, set()), (path, pos, value)


# ------------------------------------------------------------------ exhaustive mode

def test_exhaustive_mode_finds_the_five_states_of_a_small_write_to_a_new_file(disk):
    write_file(disk, "/f", b"x" * 100)
    # entry dropped; entry kept with: no data, all data, 100 zero bytes, 100 garbage bytes
    states = disk.crash_states()
    assert len(states) == 5
    contents = sorted((s.file_map().get("/f") for s in states), key=lambda d: (d is None, d))
    assert contents[-1] is None
    assert set(contents[:-1]) >= {b"", b"x" * 100, b"\0" * 100}


def test_exhaustive_mode_counts_the_sector_tears_of_a_write_across_sectors(disk):
    write_file(disk, "/f", b"x" * 1000)
    fsync_path(disk, "/")
    # no data, all data, cut at 0 (zeros, garbage), cut at 512 (absent, zeros, garbage)
    assert len(disk.crash_states()) == 7


def test_exhaustive_mode_for_a_three_level_new_path_finds_thirteen_states(disk):
    disk.makedirs("/l/d")
    fd = disk.open("/l/d/s", W)
    disk.write(fd, b"x" * 900)
    disk.fsync(fd)
    disk.write(fd, b"y" * 1000)
    # 3 states where some entry on the path is missing, then 10 for the file: 900 or 1900 bytes,
    # cut at 900 (zeros|garbage), at 1024 and 1536 (absent|zeros|garbage)
    assert len(disk.crash_states()) == 13


def test_exhaustive_mode_includes_the_state_that_kept_nothing_pending(disk):
    write_file(disk, "/a", b"1", sync=True)
    fsync_path(disk, "/")
    write_file(disk, "/b", b"2")
    fd = disk.open("/a", os.O_WRONLY | os.O_APPEND)
    disk.write(fd, b"more")
    assert disk.durable_files() in [s.file_map() for s in disk.crash_states()]


def test_every_seeded_crash_without_garbage_is_one_of_the_exhaustive_states():
    def build(disk):
        disk.mkdir("/d")
        write_file(disk, "/d/a", b"a" * 600, sync=True)
        disk.rename("/d/a", "/d/b")
        write_file(disk, "/c", b"c" * 300)

    base = SimDisk(random.Random(0))
    build(base)
    allowed = {(s.dirs, s.files) for s in base.crash_states()}
    for seed in range(100):
        disk = SimDisk(random.Random(seed))
        build(disk)
        report = disk.crash()
        if not any(t.fill == "garbage" for t in report.torn):
            assert (report.state.dirs, report.state.files) in allowed


def test_exhaustive_mode_refuses_a_history_above_its_state_limit(disk):
    for i in range(6):
        write_file(disk, f"/f{i}", b"x" * 2000)
    with pytest.raises(CrashStateLimitError, match="limit"):
        disk.crash_states(limit=1000)


def test_apply_crash_state_on_clones_lets_a_scenario_check_every_state(disk):
    write_file(disk, "/f", b"x" * 100)
    seen = []
    for state in disk.crash_states():
        copy = disk.clone()
        copy.apply_crash_state(state)
        seen.append(copy.visible_files())
        assert copy.visible_files() == copy.durable_files() == state.file_map()
    assert disk.visible_files() == {"/f": b"x" * 100}
    assert len({tuple(sorted(s.items())) for s in seen}) == 5


def disk_with_a_durable_file_a_pending_new_file_and_a_pending_rename(*, seed: int) -> SimDisk:
    """`/d/kept` durable (its entry and `/d`'s fsynced), then `/d/new` written and `/d/kept` renamed to
    `/d/moved`, neither fsynced: a history with more than four crash states, for the clone tests."""
    disk = SimDisk(random.Random(seed))
    disk.mkdir("/d")
    write_file(disk, "/d/kept", b"durable", sync=True)
    fsync_path(disk, "/d")
    fsync_path(disk, "/")
    write_file(disk, "/d/new", b"y" * 700)
    disk.rename("/d/kept", "/d/moved")
    return disk


def test_clone_in_state_is_a_clone_with_the_state_applied_and_leaves_the_original_untouched():
    """The exhaustive check's one-step form: the same files, durable files, trace event and rng as
    `clone()` then `apply_crash_state`, with no fault hook; the original keeps its pending history."""
    events_one_step: list = []
    events_two_steps: list = []
    disk = disk_with_a_durable_file_a_pending_new_file_and_a_pending_rename(seed=3)
    disk.fault_hook = object()  # any hook: the copies must not keep it
    before = (disk.visible_files(), disk.durable_files(), disk.crash_states(limit=1000))
    states = disk.crash_states(limit=1000)
    assert len(states) > 4
    for state in states:
        disk.record = lambda node, kind, **fields: events_one_step.append((node, kind, fields))
        one_step = disk.clone_in_state(state)
        disk.record = lambda node, kind, **fields: events_two_steps.append((node, kind, fields))
        two_steps = disk.clone()
        two_steps.fault_hook = None
        two_steps.apply_crash_state(state)
        assert one_step.fault_hook is None
        assert one_step.visible_files() == two_steps.visible_files() == state.file_map()
        assert one_step.durable_files() == two_steps.durable_files()
        assert one_step.rng.random() == two_steps.rng.random()
        write_file(one_step, "/d/after", b"z", sync=True)  # the copy is a working disk of its own
    assert events_one_step == events_two_steps and len(events_one_step) == len(states)
    assert (disk.visible_files(), disk.durable_files(), disk.crash_states(limit=1000)) == before


def test_clones_in_states_are_the_clones_clone_in_state_makes_one_by_one():
    """The exhaustive check's batch form lists the visible files once: each clone, its trace event
    and its rng are what `clone_in_state` gives for that state, and the original is untouched."""
    disk = disk_with_a_durable_file_a_pending_new_file_and_a_pending_rename(seed=5)
    write_file(disk, "/gone", b"g")
    states = disk.crash_states(limit=1000)
    assert len(states) > 4
    before = (disk.visible_files(), disk.durable_files())
    batch_events: list = []
    single_events: list = []
    disk.record = lambda node, kind, **fields: batch_events.append((node, kind, fields))
    batch = list(disk.clones_in_states(states))
    disk.record = lambda node, kind, **fields: single_events.append((node, kind, fields))
    singles = [disk.clone_in_state(state) for state in states]
    assert batch_events == single_events and len(batch_events) == len(states)
    assert any(fields["lost_files"] for _, _, fields in batch_events)  # `before` was really used
    for state, one, other in zip(states, batch, singles):
        assert one.fault_hook is None
        assert one.visible_files() == other.visible_files() == state.file_map()
        assert one.durable_files() == other.durable_files()
        assert one.rng.random() == other.rng.random()
    assert (disk.visible_files(), disk.durable_files()) == before


def test_clones_in_states_refuses_a_disk_that_changed_between_two_clones():
    disk = SimDisk(random.Random(6))
    write_file(disk, "/f", b"x" * 100)
    states = disk.crash_states(limit=1000)
    clones = disk.clones_in_states(states)
    next(clones)
    write_file(disk, "/other", b"y")  # a new entry: the listing taken before the first clone is stale
    with pytest.raises(AssertionError, match="the disk changed between two of its visits"):
        next(clones)


def test_a_clone_is_independent_of_its_original(disk):
    write_file(disk, "/f", b"one")
    copy = disk.clone()
    write_file(copy, "/g", b"two")
    assert disk.visible_files() == {"/f": b"one"}
    assert copy.visible_files() == {"/f": b"one", "/g": b"two"}


def test_clone_is_independent_and_keeps_a_rename_shared_by_two_directories():
    """The copy holds the same visible and durable state and the same rng state; changing either
    disk afterwards leaves the other as it was; a cross-directory rename pending in two
    directories stays one entry op in the copy (committing one side commits it in both)."""
    disk = SimDisk(random.Random(5))
    disk.mkdir("/a")
    disk.mkdir("/b")
    fd = disk.open("/a/f", os.O_CREAT | os.O_WRONLY, 0o644)
    disk.write(fd, b"hello")
    disk.fsync(fd)
    for directory in ("/", "/a", "/b"):
        dfd = disk.open(directory, os.O_RDONLY)
        disk.fsync(dfd)
        disk.close(dfd)
    disk.write(fd, b" world")
    disk.rename("/a/f", "/b/f")
    twin = disk.clone()
    assert twin.visible_files() == disk.visible_files() == {"/b/f": b"hello world"}
    assert twin.durable_files() == disk.durable_files() == {"/a/f": b"hello"}
    assert twin.crash_states(limit=100) == disk.crash_states(limit=100)
    assert twin.rng.random() == disk.rng.random()
    twin_ops = [op for directory in twin._nodes.values() if directory.is_dir for op in directory.pending]
    assert len(twin_ops) == 2 and twin_ops[0] is twin_ops[1], "the rename is one op shared by /a and /b"
    twin.write(fd, b"!")  # the descriptor was copied, pointing at the copy's inode
    dfd = twin.open("/b", os.O_RDONLY)
    twin.fsync(dfd)  # commits the rename in /a too
    assert twin.durable_files() == {"/b/f": b"hello"}
    assert disk.durable_files() == {"/a/f": b"hello"}
    assert disk.visible_files() == {"/b/f": b"hello world"}
    assert twin.visible_files() == {"/b/f": b"hello world!"}
