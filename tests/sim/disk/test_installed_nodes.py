"""A crash state's nodes are built in one step (`FileNode.installed`, `DirNode.installed`): every slot
holds what `__init__` and then the install's own fields give."""
from __future__ import annotations

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
        assert installed.data is not installed.durable, "the two versions change apart"
        assert installed.visible_snapshot() == bytes(data) == installed.durable_snapshot()


def test_an_installed_directory_is_a_new_directory_with_its_entries_visible_and_durable() -> None:
    entries = (("a", 3), ("segment-000001.log", 4))
    expected = DirNode(2, 0o40755)
    expected.entries = dict(entries)
    expected.durable = dict(entries)
    installed = DirNode.installed(2, 0o40755, entries)
    assert _slots(installed) == _slots(expected)
    assert installed.entries is not installed.durable
