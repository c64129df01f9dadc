"""crashcheck: crash-test unmodified Python storage code on the persistence model of `sim.disk`.

`ack(kind, key)` is cheap to import (production code may call it; it is a no-op outside a run).
The rest loads pyfakefs, so it is imported on first use. See docs/crashcheck.md.
"""
from __future__ import annotations

from typing import Any

from sim.crashcheck.acks import ack

_LAZY = {
    "crashcheck": "sim.crashcheck.run",
    "CrashcheckResult": "sim.crashcheck.run",
    "Violation": "sim.crashcheck.run",
    "Options": "sim.crashcheck.run",
    "list_crash_points": "sim.crashcheck.run",
    "crash_states": "sim.crashcheck.strategies",
    "assert_recovers": "sim.crashcheck.strategies",
    "CrashPick": "sim.crashcheck.strategies",
    "ROOT": "sim.crashcheck.session",
    "CrashcheckError": "sim.crashcheck.errors",
    "CrashcheckUsageError": "sim.crashcheck.errors",
    "WorkloadError": "sim.crashcheck.errors",
    "UnsupportedOperationError": "sim.crashcheck.errors",
    "RecordingMismatchError": "sim.crashcheck.errors",
    "ReproFileError": "sim.crashcheck.errors",
}

__all__ = ["ack", *_LAZY]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'sim.crashcheck' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
