"""One fake file system for a whole crashcheck run: the recording and every recovery.

Starting pyfakefs' `Patcher` scans every loaded module, so it is done once per run, not once
per crash state; each state is installed by resetting the fake tree and rebuilding it.
`allow_root_user=False`: the code under test sees permission checks even when CI runs as root.
"""
from __future__ import annotations

import stat as stat_module
from typing import Any

from pyfakefs.fake_filesystem_unittest import Patcher

from sim.crashcheck import os_defaults, pyfakefs_hooks
from sim.crashcheck.tree import Tree

# The workload's directory: it exists and is durable before the workload starts.
ROOT = "/crashcheck/root"


class FakeFsSession:
    """Context manager: hooks installed and the fake file system up, for one run."""

    def __init__(self) -> None:
        self._patcher: Patcher | None = None
        self._swaps: list[os_defaults.Swap] = []

    def __enter__(self) -> "FakeFsSession":
        targets = os_defaults.find_os_defaults()  # with the real os, before the patcher starts
        pyfakefs_hooks.install()
        try:
            self._patcher = Patcher(allow_root_user=False)
            self._patcher.setUp()
            fake_os = self._patcher.fake_modules["os"]
            self._swaps = os_defaults.point_defaults_at(targets, fake_os, fake_os.path)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            os_defaults.restore(self._swaps)
            self._swaps = []
            if self._patcher is not None:
                self._patcher.tearDown()
        finally:
            self._patcher = None
            pyfakefs_hooks.uninstall()

    @property
    def fs(self) -> Any:
        assert self._patcher is not None, "the session is not open"
        return self._patcher.fs

    def fresh(self) -> None:
        """An empty fake file system with the workload's root in it."""
        self.fs.reset()
        self.fs.create_dir(ROOT)

    def install(self, tree: Tree) -> None:
        """Make the fake file system hold exactly `tree` (modes applied last, deepest first)."""
        fs = self.fs
        fs.reset()
        for path, _ in tree.dirs:
            if not fs.exists(path):
                fs.create_dir(path, perm_bits=0o777)
        for path, _, data in tree.files:
            fs.create_file(path, st_mode=stat_module.S_IFREG | 0o666, contents=data)
        for path, mode, _ in tree.files:
            fs.chmod(path, mode, force_unix_mode=True)
        for path, mode in sorted(tree.dirs, key=lambda item: -item[0].count("/")):
            fs.chmod(path, mode, force_unix_mode=True)
