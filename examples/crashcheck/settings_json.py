"""An atomic JSON settings file: write a temp file, fsync it, rename it over, fsync the directory.

The promise (`check`): once a version was acknowledged, the settings file parses and holds that
version or a later one. Variants: `no_fsync_before_rename` (the rename can become durable before
the temp file's bytes: an empty or zero-filled settings file) and `no_dir_fsync` (the rename
itself can be lost: the old version comes back after it was acknowledged).
"""
from __future__ import annotations

import json
import os

from sim.crashcheck import ack

NAME = "settings.json"
VERSIONS = 3


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Settings:
    fsync_temp = True
    fsync_parent = True

    def save(self, root: str, settings: dict) -> None:
        temp = os.path.join(root, NAME + ".tmp")
        with open(temp, "w", encoding="utf-8") as f:
            json.dump(settings, f)
            if self.fsync_temp:
                f.flush()
                os.fsync(f.fileno())
        os.replace(temp, os.path.join(root, NAME))
        if self.fsync_parent:
            fsync_dir(root)

    def load(self, root: str) -> dict:
        with open(os.path.join(root, NAME), encoding="utf-8") as f:
            return json.load(f)

    def workload(self, root: str) -> None:
        for version in range(1, VERSIONS + 1):
            self.save(root, {"version": version, "theme": "dark" if version % 2 else "light"})
            ack("settings", str(version))

    def recover(self, root: str) -> None:
        temp = os.path.join(root, NAME + ".tmp")
        if os.path.exists(temp):  # a save that did not finish: its rename never happened
            os.unlink(temp)
            fsync_dir(root)

    def check(self, root: str, acked: list[tuple[str, str]]) -> None:
        if not acked:
            return
        promised = int(acked[-1][1])
        try:
            version = self.load(root)["version"]
        except (OSError, ValueError) as error:
            raise AssertionError(f"version {promised} was acknowledged, the settings do not load: {error}") from error
        assert version >= promised, f"version {promised} was acknowledged, the file holds version {version}"


class NoFsyncBeforeRename(Settings):
    """BUG: the temp file is renamed over the settings without an fsync."""

    fsync_temp = False


class NoDirFsync(Settings):
    """BUG: the directory is never fsynced after the rename."""

    fsync_parent = False


correct = Settings()
no_fsync_before_rename = NoFsyncBeforeRename()
no_dir_fsync = NoDirFsync()
workload, recover, check = correct.workload, correct.recover, correct.check
