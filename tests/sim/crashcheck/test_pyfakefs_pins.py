"""The pyfakefs internals crashcheck wraps are still there, and still the meeting points.

If a pyfakefs release moves them, these tests fail before a recording silently misses ops
(as the kernel pins the asyncio internals it hooks).
"""
from __future__ import annotations

import os
from importlib.metadata import version

from pyfakefs.fake_filesystem_unittest import Patcher

from sim.crashcheck import pyfakefs_hooks

SUPPORTED_MAJOR = 6


def test_the_installed_pyfakefs_is_in_the_pinned_range():
    major, minor = (int(part) for part in version("pyfakefs").split(".")[:2])
    assert major == SUPPORTED_MAJOR and minor >= 3, version("pyfakefs")


def test_every_pinned_private_hook_exists_on_its_class():
    missing = [f"{module.__name__}.{cls}.{name}" for module, cls, name in pyfakefs_hooks.PINNED
               if not hasattr(getattr(module, cls), name)]
    assert not missing, f"pyfakefs moved the hooks crashcheck relies on: {missing}"


def test_the_hooks_are_reached_by_open_os_and_pathlib_and_restored_after(tmp_path):
    calls: list[str] = []

    class Spy:
        suppressed = 0
        rename_slot = None

        def on_add(self, directory, entry):
            calls.append("add " + entry.name)

        def on_remove(self, directory, name, entry):
            calls.append("remove " + name)

        def on_rename(self, src, dst, entry):
            calls.append(f"rename {os.path.basename(src)} {os.path.basename(dst)}")

        def on_content(self, file_object, old):
            calls.append("content " + file_object.name)

        def on_size(self, file_object, old_size):
            calls.append("size " + file_object.name)

        def on_chmod(self, file_object):
            calls.append("chmod " + file_object.name)

        def on_sync(self, kind, handle):
            calls.append(kind)

        def on_tmpfile(self, file_object):
            calls.append("tmpfile")

    originals = {(owner, name): owner.__dict__.get(name) for owner, name, _ in pyfakefs_hooks._WRAPPERS}
    pyfakefs_hooks.install()
    try:
        with Patcher(allow_root_user=False):
            import pathlib

            pyfakefs_hooks.set_listener(Spy())
            os.makedirs("/d")
            with open("/d/a", "wb") as f:
                f.write(b"x")
            pathlib.Path("/d/b").write_bytes(b"y")
            fd = os.open("/d", os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            os.replace("/d/a", "/d/b")
            os.truncate("/d/b", 0)
            os.chmod("/d/b", 0o600)
            os.remove("/d/b")
            os.sync()
            pyfakefs_hooks.set_listener(None)
    finally:
        pyfakefs_hooks.uninstall()
    # "w" mode sets empty contents at open, then the flush sets the bytes: two content calls
    assert calls == ["add d", "add a", "content a", "content a", "add b", "content b", "content b",
                     "fsync", "rename a b", "size b", "chmod b", "remove b", "sync"]
    after = {(owner, name): owner.__dict__.get(name) for owner, name, _ in pyfakefs_hooks._WRAPPERS}
    assert after == originals
