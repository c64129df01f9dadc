"""The disk's change feed: which inodes changed since a mark (what incremental observers re-read)."""
from __future__ import annotations

import os
import random

import sim.disk.change_feed as change_feed
from sim.disk import SimDisk
from sim.disk.change_feed import ChangeFeed


def new_disk() -> SimDisk:
    disk = SimDisk(random.Random(0), lambda *args, **kwargs: 0)
    disk.mkdir("/d")
    return disk


def fsync(disk: SimDisk, path: str) -> None:
    fd = disk.open(path, os.O_RDONLY)
    disk.fsync(fd)
    disk.close(fd)


def test_a_mark_lists_the_inodes_changed_after_it_newest_first_each_once() -> None:
    feed = ChangeFeed()
    start = feed.mark
    for ino in (5, 6, 5, 7):
        feed.touch(ino)
    assert feed.changes_since(start) == [7, 5, 6]
    assert feed.changes_since(feed.mark) == []


def test_entries_durable_bytes_rot_and_modes_are_changes_and_a_plain_write_is_not() -> None:
    disk = new_disk()
    directory = disk.visible_inode("/d")
    mark = disk.change_mark
    fd = disk.open("/d/f", os.O_WRONLY | os.O_CREAT, 0o644)
    assert disk.changes_since(mark) == [directory]  # a new visible entry
    file_ino = disk.visible_inode("/d/f")
    mark = disk.change_mark
    disk.write(fd, b"abcd")
    assert disk.changes_since(mark) == []  # not durable yet: nothing a durable observer sees moved
    disk.fsync(fd)
    assert disk.changes_since(mark) == [file_ino]
    mark = disk.change_mark
    fsync(disk, "/d")
    assert disk.changes_since(mark) == [directory]  # its entry became durable
    mark = disk.change_mark
    disk.flip_bit("/d/f", 3)
    assert disk.changes_since(mark) == [file_ino]
    mark = disk.change_mark
    disk.chmod("/d", 0o500)
    assert disk.changes_since(mark) == [directory]
    disk.close(fd)


def test_a_crash_answers_every_older_mark_with_none_and_a_clone_keeps_the_feed() -> None:
    disk = new_disk()
    fd = disk.open("/d/f", os.O_WRONLY | os.O_CREAT, 0o644)
    disk.write(fd, b"x")
    disk.fsync(fd)
    mark = disk.change_mark
    twin = disk.clone()
    twin.flip_bit("/d/f", 0)
    assert twin.changes_since(mark) == [twin.visible_inode("/d/f")] and disk.changes_since(mark) == []
    disk.crash()
    assert disk.changes_since(mark) is None
    assert disk.changes_since(disk.change_mark) == []


def test_the_feed_is_bounded_and_a_mark_older_than_what_it_kept_gets_none(monkeypatch) -> None:
    monkeypatch.setattr(change_feed, "CHANGE_FEED_INODES_MAX", 4)
    feed = ChangeFeed()
    start = feed.mark
    for ino in range(1, 5):
        feed.touch(ino)
    middle = feed.mark
    feed.touch(5)  # a fifth inode: the oldest half is forgotten
    assert feed.changes_since(start) is None
    assert feed.changes_since(middle) == [5]


def test_the_mark_reader_reads_the_mark_as_it_moves() -> None:
    """The frameless reader an observer keeps answers what `change_mark` answers, after every change
    and after a crash's reset, for as long as the disk lives."""
    disk = new_disk()
    read_mark = disk.change_mark_reader()
    assert read_mark() == disk.change_mark
    fd = disk.open("/d/f", os.O_WRONLY | os.O_CREAT, 0o644)
    disk.write(fd, b"abc")
    disk.fsync(fd)
    disk.close(fd)
    fsync(disk, "/d")
    assert read_mark() == disk.change_mark > 0
    disk.crash()
    assert read_mark() == disk.change_mark


def test_a_copy_to_reset_is_reset_what_a_copy_is_reset() -> None:
    """A clone that installs a crash state takes the feed without its stamps: reset, the two agree on
    every mark, before the reset and after it, and on what is touched afterwards."""
    feed = ChangeFeed()
    for ino in (3, 4, 3, 9):
        feed.touch(ino)
    full, light = feed.copy(), feed.copy_to_reset()
    full.reset()
    light.reset()
    for other in (full, light):
        other.touch(4)
    assert (full._count, full._floor, full._stamps) == (light._count, light._floor, light._stamps)
    assert [full.changes_since(mark) for mark in range(full.mark + 1)] == \
        [light.changes_since(mark) for mark in range(light.mark + 1)]
    assert feed.changes_since(0) == [9, 3, 4]  # the original keeps its stamps


def _reference_changes_since(feed: ChangeFeed, mark: int) -> list[int] | None:
    """`changes_since` before it answered one change since the mark without its loop."""
    if mark < feed._floor:
        return None
    changed = []
    for ino, stamp in reversed(feed._stamps.items()):
        if stamp <= mark:
            break
        changed.append(ino)
    return changed


def test_every_mark_gets_the_loops_answer_through_touches_resets_trims_and_copies(monkeypatch) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    monkeypatch.setattr(change_feed, "CHANGE_FEED_INODES_MAX", 4)  # trims within a short history

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(st.integers(min_value=1, max_value=7), st.sampled_from(["reset", "copy", "to_reset"])),
                    max_size=30))
    def check(steps) -> None:
        feed = ChangeFeed()
        for step in steps:
            if step == "reset":
                feed.reset()
            elif step == "copy":
                feed = feed.copy()
            elif step == "to_reset":
                feed = feed.copy_to_reset()  # asked before its reset too: the loop's empty answer
            else:
                feed.touch(step)
            for mark in range(feed.mark + 1):
                assert feed.changes_since(mark) == _reference_changes_since(feed, mark), (steps, mark)

    check()
