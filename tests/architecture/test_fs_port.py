"""The ledger's file-system port is one typed table: `os`, the simulated disk and the shared volume
are checked against it, and the shared volume allows exactly its read-only half."""
from __future__ import annotations

import inspect
import os
import random
import sys

import pytest

from omen.ledger.fs_port import READ_OPS, WRITE_OPS, FileSystem, ReadOnlyFileSystem
from scenarios.shared_volume import READ_ONLY_OPS, SharedVolume
from sim.disk import SimDisk


def _required_positional(protocol: type, op: str) -> int:
    parameters = list(inspect.signature(getattr(protocol, op)).parameters.values())[1:]  # drop self
    return sum(1 for p in parameters if p.default is inspect.Parameter.empty)


def _accepts(implementation: object, op: str, positional: int) -> bool:
    """True when `implementation.op` can be called with `positional` positional arguments."""
    function = getattr(implementation, op)
    try:
        signature = inspect.signature(function)
    except ValueError:  # a builtin whose text signature inspect cannot read (CPython 3.13's os.chmod)
        return _text_signature_accepts(function.__text_signature__, positional)
    try:
        signature.bind(*range(positional))
    except TypeError:
        return False
    return True


def _text_signature_accepts(text: str, positional: int) -> bool:
    """The same question asked of a builtin's `__text_signature__`, "($module, /, path, mode, *, ...)":
    the parameters before the `*` take positional arguments, those without a default must get one."""
    parameters = [part.strip() for part in text.strip("()").split(",")]
    before_star = []
    for parameter in parameters:
        if parameter.startswith("*"):
            break
        if parameter not in ("$module", "$self", "/"):
            before_star.append(parameter)
    required = sum(1 for parameter in before_star if "=" not in parameter)
    return required <= positional <= len(before_star)


def _implements(implementation: object, ops: tuple[str, ...]) -> bool:
    """What `isinstance` of a runtime-checkable protocol asked until CPython 3.12: every op is there
    (3.12 looks the members up statically, and the shared volume makes its ops on first use)."""
    return all(callable(getattr(implementation, op, None)) for op in ops)


@pytest.mark.parametrize("name, implementation", [("os", os), ("SimDisk", SimDisk(random.Random(0)))])
def test_os_and_the_simulated_disk_implement_every_op_of_the_writable_port(name: str, implementation: object) -> None:
    assert _implements(implementation, READ_OPS + WRITE_OPS), name
    if sys.version_info < (3, 12):
        assert isinstance(implementation, FileSystem), name
    for op in READ_OPS + WRITE_OPS:
        assert _accepts(implementation, op, _required_positional(FileSystem, op)), f"{name}.{op}"


def test_the_shared_volume_implements_the_read_only_port_and_refuses_every_write_op() -> None:
    volume = SharedVolume(SimDisk(random.Random(0)))
    assert _implements(volume, READ_OPS)
    if sys.version_info < (3, 12):
        assert isinstance(volume, ReadOnlyFileSystem)
    for op in READ_OPS:
        assert _accepts(volume, op, _required_positional(ReadOnlyFileSystem, op)), op
    for op in WRITE_OPS:
        with pytest.raises(PermissionError):
            getattr(volume, op)


def test_the_shared_volume_allows_exactly_the_read_only_ports_ops() -> None:
    assert READ_ONLY_OPS == frozenset(READ_OPS)
    assert not READ_ONLY_OPS & frozenset(WRITE_OPS)
