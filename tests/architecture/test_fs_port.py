"""The ledger's file-system port is one typed table: `os`, the simulated disk and the shared volume
are checked against it, and the shared volume allows exactly its read-only half."""
from __future__ import annotations

import inspect
import os
import random

import pytest

from omen.ledger.fs_port import READ_OPS, WRITE_OPS, FileSystem, ReadOnlyFileSystem
from scenarios.shared_volume import READ_ONLY_OPS, SharedVolume
from sim.disk import SimDisk


def _required_positional(protocol: type, op: str) -> int:
    parameters = list(inspect.signature(getattr(protocol, op)).parameters.values())[1:]  # drop self
    return sum(1 for p in parameters if p.default is inspect.Parameter.empty)


def _accepts(implementation: object, op: str, positional: int) -> bool:
    """True when `implementation.op` can be called with `positional` positional arguments."""
    try:
        inspect.signature(getattr(implementation, op)).bind(*range(positional))
    except TypeError:
        return False
    return True


@pytest.mark.parametrize("name, implementation", [("os", os), ("SimDisk", SimDisk(random.Random(0)))])
def test_os_and_the_simulated_disk_implement_every_op_of_the_writable_port(name: str, implementation: object) -> None:
    assert isinstance(implementation, FileSystem), name
    for op in READ_OPS + WRITE_OPS:
        assert _accepts(implementation, op, _required_positional(FileSystem, op)), f"{name}.{op}"


def test_the_shared_volume_implements_the_read_only_port_and_refuses_every_write_op() -> None:
    volume = SharedVolume(SimDisk(random.Random(0)))
    assert isinstance(volume, ReadOnlyFileSystem)
    for op in READ_OPS:
        assert _accepts(volume, op, _required_positional(ReadOnlyFileSystem, op)), op
    for op in WRITE_OPS:
        with pytest.raises(PermissionError):
            getattr(volume, op)


def test_the_shared_volume_allows_exactly_the_read_only_ports_ops() -> None:
    assert READ_ONLY_OPS == frozenset(READ_OPS)
    assert not READ_ONLY_OPS & frozenset(WRITE_OPS)
