"""What the recorder sees of code that calls open, os, pathlib, shutil and tempfile directly."""
from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import pytest

from sim.crashcheck.errors import UnsupportedOperationError, WorkloadError
from sim.crashcheck.run import record
from sim.crashcheck.session import ROOT, FakeFsSession


def recorded(workload):
    with FakeFsSession() as session:
        recording = record(session, workload)
    return recording


def kinds(recording, *, skip=("ack",)) -> list[str]:
    return [op.kind for op in recording.ops if op.kind not in skip]


def test_a_create_write_fsync_is_recorded_as_create_write_fsync():
    def workload(root):
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(b"hello")
            f.flush()
            os.fsync(f.fileno())

    ops = recorded(workload).ops
    assert [op.kind for op in ops] == ["create", "write", "fsync"]
    assert ops[0].path == ROOT + "/f" and ops[1].data == b"hello" and ops[1].offset == 0
    assert ops[2].file_id == ops[1].file_id == ops[0].file_id


def test_a_replace_over_an_existing_file_is_one_rename_op_not_an_unlink_and_a_link():
    def workload(root):
        pathlib.Path(root, "a").write_bytes(b"1")
        pathlib.Path(root, "b").write_bytes(b"2")
        os.replace(os.path.join(root, "a"), os.path.join(root, "b"))

    recording = recorded(workload)
    assert kinds(recording) == ["create", "write", "create", "write", "rename"]
    assert recording.ops[-1].path == ROOT + "/a" and recording.ops[-1].path2 == ROOT + "/b"


def test_fsync_of_a_file_and_fsync_of_a_directory_descriptor_are_told_apart():
    def workload(root):
        fd = os.open(os.path.join(root, "f"), os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"x")
        os.fsync(fd)
        os.fdatasync(fd)
        os.close(fd)
        dir_fd = os.open(root, os.O_RDONLY)
        os.fsync(dir_fd)
        os.close(dir_fd)

    recording = recorded(workload)
    assert kinds(recording, skip=("ack", "chmod")) == ["create", "write", "fsync", "fdatasync", "fsync_dir"]
    assert recording.ops[-1].path == ROOT


def test_mkdir_parents_records_each_new_directory_and_exist_ok_records_nothing_more():
    def workload(root):
        pathlib.Path(root, "2026", "03", "01").mkdir(parents=True, exist_ok=True)
        pathlib.Path(root, "2026", "03", "01").mkdir(parents=True, exist_ok=True)

    recording = recorded(workload)
    assert [(op.kind, op.path) for op in recording.ops] == [
        ("mkdir", ROOT + "/2026"), ("mkdir", ROOT + "/2026/03"), ("mkdir", ROOT + "/2026/03/01")]


def test_truncate_unlink_rmdir_and_shutil_rmtree_are_recorded():
    def workload(root):
        path = os.path.join(root, "d", "f")
        os.mkdir(os.path.dirname(path))
        with open(path, "wb") as f:
            f.write(b"abcdef")
        os.truncate(path, 2)
        shutil.copyfile(path, path + ".copy")
        os.unlink(path)
        shutil.rmtree(os.path.dirname(path))

    assert kinds(recorded(workload), skip=("chmod",)) == [
        "mkdir", "create", "write", "truncate", "create", "write", "unlink", "unlink", "rmdir"]


def test_path_touch_on_an_existing_file_records_no_entry_op():
    def workload(root):
        marker = pathlib.Path(root, "marker")
        marker.touch()
        marker.touch()
        marker.touch(exist_ok=True)

    recording = recorded(workload)
    assert [op.kind for op in recording.ops if op.kind in ("create", "unlink", "rename")] == ["create"]


def test_an_o_tmpfile_open_and_everything_done_through_it_is_not_recorded():
    def workload(root):
        fd = os.open(root, os.O_TMPFILE | os.O_RDWR, 0o600)
        os.write(fd, b"probe")
        os.fsync(fd)
        os.close(fd)
        pathlib.Path(root, "real").write_bytes(b"r")

    recording = recorded(workload)
    assert kinds(recording, skip=("ack", "chmod")) == ["create", "write"]
    assert recording.final.files[-1][0] == ROOT + "/real"


def test_fcntl_flock_is_a_silent_no_op_and_not_an_op():
    import fcntl

    def workload(root):
        fd = os.open(os.path.join(root, "lock"), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    assert kinds(recorded(workload), skip=("ack", "chmod")) == ["create"]


def test_os_sync_is_recorded_and_never_reaches_the_real_disk(monkeypatch):
    real_calls = []
    monkeypatch.setattr(os, "sync", lambda: real_calls.append(1))

    def workload(root):
        pathlib.Path(root, "f").write_bytes(b"x")
        os.sync()

    assert kinds(recorded(workload)) == ["create", "write", "sync"]
    assert real_calls == []


def test_chmod_is_enforced_even_when_the_tests_run_as_root():
    def workload(root):
        path = pathlib.Path(root, "ro")
        path.write_bytes(b"x")
        path.chmod(0o444)
        with pytest.raises(PermissionError):
            path.write_bytes(b"y")

    recording = recorded(workload)
    assert [op for op in recording.ops if op.kind == "chmod"][-1].mode == 0o444
    assert recording.final.files[-1][1:] == (0o444, b"x")


def test_tempfile_and_a_file_written_after_its_rename_keep_their_identity():
    def workload(root):
        handle = tempfile.NamedTemporaryFile(dir=root, delete=False)
        handle.write(b"first")
        handle.flush()
        os.rename(handle.name, os.path.join(root, "kept"))
        handle.write(b" second")
        handle.close()

    recording = recorded(workload)
    writes = [op for op in recording.ops if op.kind == "write"]
    assert {op.file_id for op in writes} == {recording.ops[0].file_id}
    assert dict((p, d) for p, _, d in recording.final.files)[ROOT + "/kept"] == b"first second"


def test_a_hard_link_is_refused_with_a_typed_error():
    def workload(root):
        pathlib.Path(root, "a").write_bytes(b"x")
        os.link(os.path.join(root, "a"), os.path.join(root, "b"))

    with pytest.raises(UnsupportedOperationError, match="hard link"):
        recorded(workload)


def test_a_workload_that_raises_is_a_typed_error_naming_the_exception():
    def workload(root):
        raise KeyError("boom")

    with pytest.raises(WorkloadError, match="KeyError"):
        recorded(workload)


def test_ack_outside_a_run_is_a_no_op_and_inside_is_recorded_in_order():
    from sim.crashcheck import ack

    ack("record", "outside")  # production code may call it

    def workload(root):
        pathlib.Path(root, "f").write_bytes(b"x")
        ack("record", "1")

    recording = recorded(workload)
    assert [(op.kind, op.path, op.path2) for op in recording.ops][-1] == ("ack", "record", "1")
    with pytest.raises(TypeError):
        ack("record", 1)


def test_a_refusal_the_workload_swallows_is_raised_after_it():
    def workload(root):
        pathlib.Path(root, "a").write_bytes(b"x")
        try:
            os.symlink(os.path.join(root, "a"), os.path.join(root, "b"))
        except Exception:  # noqa: BLE001 - storage code that swallows everything
            pass

    with pytest.raises(UnsupportedOperationError, match="symlink"):
        recorded(workload)


def _store_with_default_fs(root: str, *, fs=os) -> None:
    fd = fs.open(fs.path.join(root, "via-default"), os.O_WRONLY | os.O_CREAT, 0o644)
    fs.write(fd, b"x")
    fs.close(fd)


class _StoreWithDefaultFs:
    def __init__(self, fs=os) -> None:
        self.fs = fs


def test_an_fs_equals_os_default_argument_is_pointed_at_the_fake_file_system_and_restored():
    def workload(root):
        _store_with_default_fs(root)
        assert type(_StoreWithDefaultFs().fs).__name__ == "FakeOsModule"

    recording = recorded(workload)
    assert [op.path for op in recording.ops if op.kind == "create"] == [ROOT + "/via-default"]
    assert _store_with_default_fs.__kwdefaults__["fs"] is os
    assert _StoreWithDefaultFs.__init__.__defaults__ == (os,)
