"""A crash state's nodes are built in one step (`FileNode.installed`, `DirNode.installed`): every slot
holds what `__init__` and then the install's own fields give, and a file's bytes are copied only when
something changes them."""
from __future__ import annotations

import os
import random

from sim.disk.disk import SimDisk
from sim.disk.nodes import DirNode, FileNode


def _slots(node: object) -> dict[str, object]:
    return {name: getattr(node, name) for name in type(node).__slots__}


def test_an_installed_file_is_a_new_file_with_its_bytes_visible_and_durable() -> None:
    for data in (b"", b"frame bytes", bytearray(b"mutable")):
        expected = FileNode(7, 0o100644)
        expected.data = bytearray(data)
        expected.durable = bytearray(data)
        expected.snapshot = expected.kept_durable = data if type(data) is bytes else None
        installed = FileNode.installed(7, 0o100644, data)
        assert _slots(installed) == _slots(expected)
        assert installed.visible_snapshot() == bytes(data) == installed.durable_snapshot()
        # the two versions change apart: a write to one leaves the other (and the caller's bytes) as they were
        installed.writable_data().extend(b"+visible")
        assert bytes(installed.data) == bytes(data) + b"+visible" and bytes(installed.durable) == bytes(data)
        installed.writable_durable().extend(b"+durable")
        assert bytes(installed.durable) == bytes(data) + b"+durable"
        assert bytes(installed.data) == bytes(data) + b"+visible"
        assert data in (b"", b"frame bytes", b"mutable"), "the installed bytes are never changed in place"


def test_an_installed_files_immutable_bytes_are_copied_only_when_changed() -> None:
    data = b"frame bytes"
    installed = FileNode.installed(7, 0o100644, data)
    assert installed.data is data and installed.durable is data, "nothing copied at install"
    assert installed.visible_snapshot() is data and installed.durable_snapshot() is data
    visible = installed.writable_data()
    assert type(visible) is bytearray and visible == data and installed.durable is data
    assert installed.writable_data() is visible, "copied once"
    durable = installed.writable_durable()
    assert type(durable) is bytearray and durable is not visible and installed.writable_durable() is durable
    mutable = bytearray(b"mutable")
    copied = FileNode.installed(8, 0o100644, mutable)
    assert copied.data is not mutable and copied.durable is not mutable and copied.data is not copied.durable


def test_an_installed_directory_is_a_new_directory_with_its_entries_visible_and_durable() -> None:
    entries = (("a", 3), ("segment-000001.log", 4))
    expected = DirNode(2, 0o40755)
    expected.entries = dict(entries)
    expected.durable = dict(entries)
    installed = DirNode.installed(2, 0o40755, entries)
    assert _slots(installed) == _slots(expected)
    assert installed.entries is not installed.durable


def test_a_crash_states_bytes_are_shared_until_a_writable_descriptor_changes_them() -> None:
    disk = SimDisk(random.Random(5))
    fd = disk.open("/f", os.O_WRONLY | os.O_CREAT, 0o644)
    disk.write(fd, b"durable")
    disk.fsync(disk.open("/", os.O_RDONLY))
    disk.fsync(fd)
    disk.write(fd, b"+pending")
    states = disk.crash_states()
    for state in states:
        kept = dict(state.files)["/f"]
        twin = disk.clone_in_state(state)
        reader = twin.open("/f", os.O_RDONLY)
        assert twin.read(reader, 100) == kept and twin._peek("/f").data is kept, "a read copies nothing"
        writer = twin.open("/f", os.O_WRONLY | os.O_APPEND)
        twin.write(writer, b"+more")
        assert twin.visible_bytes("/f") == kept + b"+more" and twin.durable_bytes("/f") == kept
        twin.fsync(writer)
        assert twin.durable_bytes("/f") == kept + b"+more"
        twin.ftruncate(writer, 3)
        twin.fsync(writer)
        assert twin.visible_bytes("/f") == twin.durable_bytes("/f") == kept[:3]
        assert dict(state.files)["/f"] == kept and disk.visible_bytes("/f") == b"durable+pending"
        other = disk.clone_in_state(state)
        assert other.visible_bytes("/f") == kept == other.durable_bytes("/f"), "the state itself never changed"
