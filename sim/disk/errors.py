"""Errors of the simulated disk.

System code under test must see exactly what the `os` module would raise: an `OSError`
built from `(errno, strerror, filename)`, so `FileNotFoundError`, `FileExistsError`,
`PermissionError`, ... subclasses come out as they do on a real disk. Misuse of the
simulator itself (a bad fault, an exhaustive search that is too large) gets its own
typed errors, which are never `OSError`, so system code cannot swallow them by accident.
"""
from __future__ import annotations

import os


def os_error(errno_value: int, filename: str | None = None, filename2: str | None = None) -> OSError:
    """Build the OSError the real `os` module raises for `errno_value` on these paths."""
    assert errno_value > 0, errno_value
    if filename is None:
        return OSError(errno_value, os.strerror(errno_value))
    if filename2 is None:
        return OSError(errno_value, os.strerror(errno_value), filename)
    return OSError(errno_value, os.strerror(errno_value), filename, None, filename2)


class DiskUsageError(ValueError):
    """The simulator was driven wrongly (bad fault for an op, bad argument to a helper)."""


class CrashStateLimitError(DiskUsageError):
    """Exhaustive crash enumeration would exceed its state limit.

    Shorten the history the scenario checks exhaustively (fewer unsynced operations
    before the crash point), or raise `limit` knowingly; or use seeded `crash()` instead.
    """
