"""A JSON store updated under a `filelock.FileLock`, as code shared by several processes does.

The lock keeps writers apart; it does nothing for a crash. The correct code still replaces the
store atomically (temp, fsync, rename, directory fsync) while it holds the lock. The promise:
an acknowledged key is in the store after a crash. Variant: `rewrites_in_place` (under the
lock, the store is truncated and rewritten in place without an fsync: a crash can leave it
empty, losing every key).

filelock probes the lock's directory with an `O_TMPFILE` open; crashcheck does not record those
ops (such a file has no name), so they add no crash states.
"""
from __future__ import annotations

import json
import os

from filelock import FileLock

from sim.crashcheck import ack

STORE = "store.json"
KEYS = ("alpha", "beta", "gamma")


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LockedStore:
    def load(self, root: str) -> dict:
        try:
            with open(os.path.join(root, STORE), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def save(self, root: str, data: dict) -> None:
        temp = os.path.join(root, STORE + ".tmp")
        with open(temp, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, os.path.join(root, STORE))
        fsync_dir(root)

    def put(self, root: str, key: str, value: str) -> None:
        with FileLock(os.path.join(root, STORE + ".lock")):
            data = self.load(root)
            data[key] = value
            self.save(root, data)

    def workload(self, root: str) -> None:
        self.save(root, {})
        for key in KEYS:
            self.put(root, key, key.upper())
            ack("key", key)

    def recover(self, root: str) -> None:
        temp = os.path.join(root, STORE + ".tmp")
        if os.path.exists(temp):
            os.unlink(temp)
            fsync_dir(root)

    def check(self, root: str, acked: list[tuple[str, str]]) -> None:
        if not acked:
            return
        try:
            data = self.load(root)
        except ValueError as error:
            raise AssertionError(f"{len(acked)} keys acknowledged, the store does not parse: {error}") from error
        missing = [key for _, key in acked if data.get(key) != key.upper()]
        assert not missing, f"acknowledged keys lost: {missing}"


class RewritesInPlace(LockedStore):
    """BUG: under the lock, the store is truncated and rewritten in place, never fsynced."""

    def save(self, root: str, data: dict) -> None:
        with open(os.path.join(root, STORE), "w", encoding="utf-8") as f:
            json.dump(data, f)


correct = LockedStore()
rewrites_in_place = RewritesInPlace()
workload, recover, check = correct.workload, correct.recover, correct.check
