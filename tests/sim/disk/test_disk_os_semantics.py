"""The os-like surface: same return values and errno values as the `os` module."""
from __future__ import annotations

import errno
import os
import random
import stat

import pytest

from sim.disk import DiskUsageError, SimDisk

W = os.O_WRONLY | os.O_CREAT


def errno_of(call, *args) -> int:
    with pytest.raises(OSError) as info:
        call(*args)
    return info.value.errno


def make_file(disk: SimDisk, path: str, data: bytes = b"", mode: int = 0o644) -> None:
    fd = disk.open(path, W, mode)
    disk.write(fd, data)
    disk.close(fd)


def test_root_always_exists_and_is_an_empty_directory(disk):
    assert disk.path.isdir("/")
    assert disk.listdir("/") == []
    assert stat.S_ISDIR(disk.stat("/").st_mode)


def test_open_returns_the_lowest_free_descriptor_starting_at_three(disk):
    a = disk.open("/a", W)
    b = disk.open("/b", W)
    assert (a, b) == (3, 4)
    disk.close(a)
    assert disk.open("/c", W) == 3


def test_write_then_read_round_trips_and_advances_the_offset(disk):
    fd = disk.open("/f", os.O_RDWR | os.O_CREAT)
    assert disk.write(fd, b"hello world") == 11
    assert disk.lseek(fd, 0, os.SEEK_SET) == 0
    assert disk.read(fd, 5) == b"hello"
    assert disk.read(fd, 100) == b" world"
    assert disk.read(fd, 100) == b""
    assert disk.pread(fd, 5, 6) == b"world"
    assert disk.fstat(fd).st_size == 11


def test_write_accepts_bytearray_and_memoryview_but_not_str(disk):
    fd = disk.open("/f", W)
    assert disk.write(fd, bytearray(b"ab")) == 2
    assert disk.write(fd, memoryview(b"cd")) == 2
    with pytest.raises(TypeError):
        disk.write(fd, "text")
    assert disk.visible_files() == {"/f": b"abcd"}


def test_append_mode_always_writes_at_the_end(disk):
    make_file(disk, "/f", b"12345")
    fd = disk.open("/f", os.O_WRONLY | os.O_APPEND)
    disk.lseek(fd, 0, os.SEEK_SET)
    disk.write(fd, b"67")
    assert disk.visible_files()["/f"] == b"1234567"


def test_seek_past_the_end_then_write_leaves_a_zero_hole(disk):
    fd = disk.open("/f", W)
    assert disk.lseek(fd, 4, os.SEEK_SET) == 4
    disk.write(fd, b"x")
    assert disk.visible_files()["/f"] == b"\0\0\0\0x"


def test_o_trunc_empties_an_existing_file(disk):
    make_file(disk, "/f", b"old contents")
    disk.close(disk.open("/f", os.O_WRONLY | os.O_TRUNC))
    assert disk.visible_files()["/f"] == b""


def test_ftruncate_shrinks_and_grows_with_zeros(disk):
    fd = disk.open("/f", os.O_RDWR | os.O_CREAT)
    disk.write(fd, b"abcdef")
    disk.ftruncate(fd, 2)
    assert disk.visible_files()["/f"] == b"ab"
    disk.ftruncate(fd, 4)
    assert disk.visible_files()["/f"] == b"ab\0\0"


@pytest.mark.parametrize("flags, expected", [
    (os.O_RDONLY, errno.ENOENT),
    (os.O_WRONLY | os.O_CREAT | os.O_EXCL, errno.EEXIST),
])
def test_open_reports_missing_and_existing_paths_with_os_errnos(disk, flags, expected):
    make_file(disk, "/exists")
    path = "/missing" if expected == errno.ENOENT else "/exists"
    assert errno_of(disk.open, path, flags) == expected


def test_open_under_a_missing_directory_is_enoent_and_under_a_file_is_enotdir(disk):
    make_file(disk, "/f")
    assert errno_of(disk.open, "/nodir/x", W) == errno.ENOENT
    assert errno_of(disk.open, "/f/x", W) == errno.ENOTDIR
    assert errno_of(disk.open, "/f/", os.O_RDONLY) == errno.ENOTDIR


def test_directories_open_read_only_for_fsync_but_not_for_writing(disk):
    disk.mkdir("/d")
    fd = disk.open("/d", os.O_RDONLY)
    disk.fsync(fd)
    assert errno_of(disk.write, fd, b"x") == errno.EBADF
    assert errno_of(disk.read, fd, 1) == errno.EISDIR
    disk.close(fd)
    disk.close(disk.open("/d", os.O_RDONLY | os.O_DIRECTORY))
    assert errno_of(disk.open, "/d", os.O_WRONLY) == errno.EISDIR
    assert errno_of(disk.open, "/d", os.O_RDONLY | os.O_CREAT) == errno.EISDIR


def test_o_directory_on_a_file_is_enotdir(disk):
    make_file(disk, "/f")
    assert errno_of(disk.open, "/f", os.O_RDONLY | os.O_DIRECTORY) == errno.ENOTDIR


def test_access_mode_is_enforced_per_descriptor(disk):
    make_file(disk, "/f", b"data")
    wfd = disk.open("/f", os.O_WRONLY)
    rfd = disk.open("/f", os.O_RDONLY)
    assert errno_of(disk.read, wfd, 1) == errno.EBADF
    assert errno_of(disk.pread, wfd, 1, 0) == errno.EBADF
    assert errno_of(disk.write, rfd, b"x") == errno.EBADF
    assert errno_of(disk.ftruncate, rfd, 0) == errno.EINVAL


def test_closed_descriptors_are_ebadf_for_every_operation(disk):
    fd = disk.open("/f", W)
    disk.close(fd)
    for call, args in [(disk.write, (fd, b"x")), (disk.read, (fd, 1)), (disk.fsync, (fd,)),
                       (disk.close, (fd,)), (disk.fstat, (fd,)), (disk.lseek, (fd, 0, 0)),
                       (disk.ftruncate, (fd, 0)), (disk.fdatasync, (fd,))]:
        assert errno_of(call, *args) == errno.EBADF


def test_bad_arguments_are_einval_as_in_os(disk):
    fd = disk.open("/f", os.O_RDWR | os.O_CREAT)
    assert errno_of(disk.read, fd, -1) == errno.EINVAL
    assert errno_of(disk.pread, fd, 1, -1) == errno.EINVAL
    assert errno_of(disk.lseek, fd, -1, os.SEEK_SET) == errno.EINVAL
    assert errno_of(disk.ftruncate, fd, -1) == errno.EINVAL


def test_a_read_only_file_cannot_be_opened_for_writing_by_a_non_root_user(disk):
    make_file(disk, "/sealed", b"frames")
    disk.chmod("/sealed", 0o444)
    assert errno_of(disk.open, "/sealed", os.O_WRONLY) == errno.EACCES
    assert errno_of(disk.open, "/sealed", os.O_RDWR) == errno.EACCES
    assert errno_of(disk.open, "/sealed", os.O_RDONLY | os.O_TRUNC) == errno.EACCES
    disk.close(disk.open("/sealed", os.O_RDONLY))
    with pytest.raises(PermissionError):
        disk.open("/sealed", os.O_WRONLY | os.O_APPEND)


def test_root_user_may_write_a_read_only_file_as_real_root_can():
    disk = SimDisk(random.Random(0), root_user=True)
    make_file(disk, "/sealed", b"x")
    disk.chmod("/sealed", 0o444)
    disk.close(disk.open("/sealed", os.O_WRONLY))
    assert stat.S_IMODE(disk.stat("/sealed").st_mode) == 0o444


def test_created_files_get_their_mode_minus_the_umask(disk):
    make_file(disk, "/f", mode=0o666)
    assert stat.S_IMODE(disk.stat("/f").st_mode) == 0o644
    disk.mkdir("/d")
    assert stat.S_IMODE(disk.stat("/d").st_mode) == 0o755


def test_listdir_returns_names_in_sorted_order(disk):
    for name in ["b", "c", "a"]:
        make_file(disk, "/" + name)
    disk.mkdir("/0dir")
    assert disk.listdir("/") == ["0dir", "a", "b", "c"]
    assert errno_of(disk.listdir, "/a") == errno.ENOTDIR
    assert errno_of(disk.listdir, "/nope") == errno.ENOENT


def test_scandir_yields_entries_that_know_their_kind(disk):
    disk.mkdir("/d")
    make_file(disk, "/d/f", b"123")
    disk.mkdir("/d/sub")
    with disk.scandir("/d") as entries:
        got = [(e.name, e.path, e.is_dir(), e.is_file(), e.stat().st_size) for e in entries]
    assert got == [("f", "/d/f", False, True, 3), ("sub", "/d/sub", True, False, 0)]


def test_mkdir_and_makedirs_follow_os_errors(disk):
    disk.makedirs("/a/b/c")
    assert disk.path.isdir("/a/b/c")
    assert errno_of(disk.mkdir, "/a") == errno.EEXIST
    assert errno_of(disk.mkdir, "/x/y") == errno.ENOENT
    assert errno_of(disk.makedirs, "/a/b") == errno.EEXIST
    disk.makedirs("/a/b", exist_ok=True)
    make_file(disk, "/f")
    assert errno_of(disk.makedirs, "/f", 0o777, True) == errno.EEXIST
    assert errno_of(disk.makedirs, "/f/g") == errno.ENOTDIR


def test_rename_and_replace_follow_linux_rules(disk):
    disk.mkdir("/d")
    disk.mkdir("/e")
    make_file(disk, "/e/inner")
    make_file(disk, "/f", b"1")
    make_file(disk, "/g", b"2")
    disk.replace("/f", "/g")
    assert disk.visible_files() == {"/e/inner": b"", "/g": b"1"}
    assert errno_of(disk.rename, "/g", "/d") == errno.EISDIR
    assert errno_of(disk.rename, "/d", "/g") == errno.ENOTDIR
    assert errno_of(disk.rename, "/d", "/e") == errno.ENOTEMPTY
    assert errno_of(disk.rename, "/d", "/d/x") == errno.EINVAL
    assert errno_of(disk.rename, "/missing", "/x") == errno.ENOENT
    assert errno_of(disk.rename, "/g", "/missing/x") == errno.ENOENT
    disk.rename("/g", "/g")
    disk.rename("/e/inner", "/d/moved")
    disk.rename("/d", "/e2")
    assert disk.visible_files() == {"/e2/moved": b"", "/g": b"1"}


def test_rename_errors_carry_both_paths(disk):
    with pytest.raises(FileNotFoundError) as info:
        disk.rename("/missing", "/x")
    assert (info.value.filename, info.value.filename2) == ("/missing", "/x")


def test_unlink_and_rmdir_follow_os_errors(disk):
    disk.mkdir("/d")
    make_file(disk, "/d/f")
    assert errno_of(disk.unlink, "/d") == errno.EISDIR
    assert errno_of(disk.rmdir, "/d") == errno.ENOTEMPTY
    assert errno_of(disk.rmdir, "/d/f") == errno.ENOTDIR
    assert errno_of(disk.unlink, "/d/nope") == errno.ENOENT
    disk.unlink("/d/f")
    disk.rmdir("/d")
    assert disk.listdir("/") == []


def test_an_unlinked_file_stays_readable_through_an_open_descriptor(disk):
    make_file(disk, "/f", b"still here")
    fd = disk.open("/f", os.O_RDONLY)
    disk.unlink("/f")
    assert disk.read(fd, 100) == b"still here"
    assert not disk.path.exists("/f")


def test_errors_are_the_os_exception_subclasses(disk):
    with pytest.raises(FileNotFoundError):
        disk.stat("/nope")
    make_file(disk, "/f")
    with pytest.raises(FileExistsError):
        disk.open("/f", W | os.O_EXCL)
    with pytest.raises(IsADirectoryError):
        disk.open("/", os.O_WRONLY)


def test_path_helpers_answer_like_os_path(disk):
    disk.mkdir("/d")
    make_file(disk, "/d/f", b"abc")
    assert disk.path.exists("/d") and disk.path.exists("/d/f")
    assert disk.path.isdir("/d") and not disk.path.isdir("/d/f")
    assert disk.path.isfile("/d/f") and not disk.path.isfile("/d")
    assert not disk.path.exists("/d/f/x")
    assert disk.path.getsize("/d/f") == 3
    assert disk.path.join("/d", "f") == "/d/f"


def test_every_call_counts_as_one_op(disk):
    before = disk.op_count
    fd = disk.open("/f", W)
    disk.write(fd, b"x")
    disk.fsync(fd)
    disk.close(fd)
    disk.path.exists("/f")
    assert disk.op_count == before + 5


def test_bad_constructor_arguments_are_refused_with_a_clear_error():
    with pytest.raises(DiskUsageError, match="profile"):
        SimDisk(random.Random(0), profile="zfs")
    with pytest.raises(DiskUsageError, match="random.Random"):
        SimDisk(42)
    with pytest.raises(DiskUsageError, match="capacity"):
        SimDisk(random.Random(0), capacity_bytes=-1)


def test_stat_results_work_with_the_stat_module(disk):
    make_file(disk, "/f", b"12")
    result = disk.stat("/f")
    assert stat.S_ISREG(result.st_mode) and result.st_size == 2 and result.st_ino > 1
    assert disk.stat("/f").st_ino != disk.stat("/").st_ino


def test_a_non_root_user_cannot_change_the_entries_of_a_read_only_directory(disk):
    disk.mkdir("/d")
    make_file(disk, "/d/f")
    disk.chmod("/d", 0o555)
    assert errno_of(disk.open, "/d/g", W) == errno.EACCES
    assert errno_of(disk.unlink, "/d/f") == errno.EACCES
    assert errno_of(disk.rename, "/d/f", "/g") == errno.EACCES
