"""Differential: the same op sequences on SimDisk, pyfakefs' FakeOsModule and the real OS.

All three must agree on return values, errno values and the final tree and contents.
Where they disagree the real OS (Linux) is right by definition: it is what the ledger runs
on in production. The disagreements found, all pyfakefs deviations from Linux, are listed
in FAKE_DEVIATIONS; for those ops only SimDisk and the real OS are compared:

- lseek: pyfakefs returns None (os.lseek returns the new offset), and raises ValueError
  for a negative offset (Linux: EINVAL).
- read(fd, n<0): pyfakefs returns b""; Linux raises EINVAL.
- ftruncate on a read-only descriptor: pyfakefs truncates; Linux raises EINVAL.
- pread: pyfakefs does not emulate it (the name falls through to the real os.pread on a
  fake descriptor number), so it is never called on pyfakefs.
- open of a directory with O_CREAT or O_TRUNC (no write access): pyfakefs opens it;
  Linux raises EISDIR.
- an op that fails on both: pyfakefs sometimes picks another errno than Linux: ENOENT for
  a path through a regular file (Linux: ENOTDIR), EISDIR for O_CREAT|O_EXCL on an existing
  directory (Linux: EEXIST), and for a rename that fails for two reasons at once (Linux
  resolves both parents before it looks at the entries).
- ftruncate that grows a file: pyfakefs raises st_size but reads return no zero bytes.
After a deviation that changes state, pyfakefs is no longer compared in that example.
"""
from __future__ import annotations

import errno
import os
import random
import stat
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyfakefs.fake_filesystem import FakeFilesystem
from pyfakefs.fake_os import FakeOsModule

from sim.disk import SimDisk

NAMES = ["a", "b", "d", "d/a", "d/b", "e", "e/a", "x/y"]
FLAGS = [
    os.O_RDONLY,
    os.O_WRONLY | os.O_CREAT,
    os.O_RDWR | os.O_CREAT,
    os.O_WRONLY | os.O_CREAT | os.O_EXCL,
    os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    os.O_RDWR | os.O_APPEND,
    os.O_WRONLY | os.O_TRUNC,
    os.O_RDWR,
]
HANDLES_MAX = 6
UNSUPPORTED = "unsupported"


class Backend:
    def __init__(self, name: str, module, base: str) -> None:
        self.name = name
        self.os = module
        self.base = base
        self.handles: list[int] = []
        self.closed: set[int] = set()
        # the first op after which this backend's state is known to differ from Linux
        self.diverged: tuple | None = None

    def path(self, rel: str) -> str:
        return self.base + "/" + rel

    def tree(self) -> list[tuple[str, str, bytes | None]]:
        found = []
        stack = [""]
        for _ in range(1000):
            if not stack:
                break
            rel = stack.pop()
            for name in sorted(self.os.listdir(self.path(rel) if rel else self.base or "/")):
                child = f"{rel}/{name}" if rel else name
                mode = self.os.stat(self.path(child)).st_mode
                if stat.S_ISDIR(mode):
                    found.append((child, "dir", None))
                    stack.append(child)
                else:
                    fd = self.os.open(self.path(child), os.O_RDONLY)
                    data = self.os.read(fd, 1 << 20)
                    self.os.close(fd)
                    found.append((child, "file", data))
        return sorted(found)


def run_op(backend: Backend, op: tuple):
    """Apply one op; return a comparable result: a value, ("err", errno), or UNSUPPORTED."""
    kind = op[0]
    m = backend.os
    if kind in ("write", "read", "pread", "lseek", "fsync", "close", "ftruncate", "fstat"):
        index = op[1]
        if index >= len(backend.handles):
            return "no-handle"
        fd = backend.handles[index]
        if index in backend.closed and fd in {h for i, h in enumerate(backend.handles) if i not in backend.closed}:
            return "fd-reused"  # the closed number now names another open file: not comparable
    if kind == "pread" and backend.name == "fake":
        return UNSUPPORTED
    try:
        if kind == "open":
            fd = m.open(backend.path(NAMES[op[1]]), FLAGS[op[2]], 0o644)
            if len(backend.handles) >= HANDLES_MAX:
                m.close(fd)
                return "fd"
            backend.handles.append(fd)
            return "fd"
        if kind == "write":
            return m.write(fd, op[2])
        if kind == "read":
            return m.read(fd, op[2])
        if kind == "pread":
            return m.pread(fd, op[2], op[3])
        if kind == "lseek":
            return m.lseek(fd, op[2], op[3])
        if kind == "fsync":
            return m.fsync(fd)
        if kind == "close":
            result = m.close(fd)
            backend.closed.add(op[1])
            return result
        if kind == "ftruncate":
            grows = backend.name == "fake" and op[2] > m.fstat(fd).st_size
            result = m.ftruncate(fd, op[2])
            if grows and backend.diverged is None:
                backend.diverged = op  # pyfakefs grows st_size but reads return no zero bytes
            return result
        if kind == "fstat":
            result = m.fstat(fd)
            return (stat.S_IFMT(result.st_mode), result.st_size if stat.S_ISREG(result.st_mode) else None)
        if kind == "stat":
            result = m.stat(backend.path(NAMES[op[1]]))
            return (stat.S_IFMT(result.st_mode), result.st_size if stat.S_ISREG(result.st_mode) else None)
        if kind == "mkdir":
            return m.mkdir(backend.path(NAMES[op[1]]))
        if kind == "unlink":
            return m.unlink(backend.path(NAMES[op[1]]))
        if kind == "rmdir":
            return m.rmdir(backend.path(NAMES[op[1]]))
        if kind == "rename":
            return m.rename(backend.path(NAMES[op[1]]), backend.path(NAMES[op[2]]))
        if kind == "replace":
            return m.replace(backend.path(NAMES[op[1]]), backend.path(NAMES[op[2]]))
        if kind == "listdir":
            return sorted(m.listdir(backend.path(NAMES[op[1]])))
    except OSError as error:
        return ("err", errno.errorcode.get(error.errno, error.errno))
    except ValueError as error:
        return ("ValueError", str(error))
    raise AssertionError(f"unknown op {op!r}")


def fake_deviates(op: tuple, fake, real) -> bool:
    """True where pyfakefs is known to differ from Linux (see the module docstring)."""
    kind = op[0]
    if fake == UNSUPPORTED:
        return True
    if kind == "lseek" and (fake is None or (isinstance(fake, tuple) and fake[0] == "ValueError")):
        return True
    if kind == "read" and op[2] < 0 and fake == b"" and real == ("err", "EINVAL"):
        return True
    if kind == "ftruncate" and fake is None and real == ("err", "EINVAL"):
        return True
    if kind == "open" and fake == "fd" and real == ("err", "EISDIR"):
        return True
    if isinstance(fake, tuple) and isinstance(real, tuple) and fake[0] == real[0] == "err":
        return True  # both failed, with different errno values: nothing changed on either side
    return False


handle = st.integers(0, 3)
name = st.integers(0, len(NAMES) - 1)
top_name = st.sampled_from([0, 1, 2, 5])
creating_flags = st.sampled_from([1, 2, 4])
op_strategy = st.one_of(
    # opens that create, at the top level, come often, so later ops find something to act on
    st.tuples(st.just("open"), top_name, creating_flags),
    st.tuples(st.just("open"), name, creating_flags),
    st.tuples(st.just("open"), name, st.integers(0, len(FLAGS) - 1)),
    st.tuples(st.just("mkdir"), top_name),
    st.tuples(st.just("mkdir"), name),
    st.tuples(st.just("write"), handle, st.binary(min_size=0, max_size=40)),
    st.tuples(st.just("read"), handle, st.integers(-1, 50)),
    st.tuples(st.just("pread"), handle, st.integers(0, 50), st.integers(0, 60)),
    st.tuples(st.just("lseek"), handle, st.integers(-5, 60), st.sampled_from([os.SEEK_SET, os.SEEK_CUR, os.SEEK_END])),
    st.tuples(st.just("fsync"), handle),
    st.tuples(st.just("close"), handle),
    st.tuples(st.just("ftruncate"), handle, st.integers(-1, 60)),
    st.tuples(st.just("fstat"), handle),
    st.tuples(st.just("stat"), name),
    st.tuples(st.just("unlink"), name),
    st.tuples(st.just("rmdir"), name),
    st.tuples(st.just("rename"), name, name),
    st.tuples(st.just("replace"), name, name),
    st.tuples(st.just("listdir"), name),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op_strategy, max_size=30))
def test_simdisk_pyfakefs_and_the_real_os_agree_on_results_errnos_and_the_final_tree(ops):
    fake_fs = FakeFilesystem(path_separator="/")
    fake_os = FakeOsModule(fake_fs)
    fake_os.mkdir("/sandbox")
    # the real OS ignores permission bits for root; the sim must be told the same
    sim = SimDisk(random.Random(0), root_user=os.geteuid() == 0)
    with tempfile.TemporaryDirectory() as real_base:
        backends = [Backend("sim", sim, ""), Backend("fake", fake_os, "/sandbox"), Backend("real", os, real_base)]
        try:
            for op in ops:
                sim_result, fake_result, real_result = (run_op(b, op) for b in backends)
                assert sim_result == real_result, (op, "sim", sim_result, "real", real_result)
                fake = backends[1]
                if fake.diverged is not None:
                    continue  # pyfakefs left Linux's path earlier: only sim and real are compared
                if fake_deviates(op, fake_result, real_result):
                    harmless = (fake_result == UNSUPPORTED
                                or (op[0] == "lseek" and isinstance(real_result, int))
                                or (op[0] == "read" and op[2] < 0)
                                or (isinstance(fake_result, tuple) and fake_result[0] in ("err", "ValueError")))
                    if not harmless:
                        fake.diverged = op
                else:
                    assert fake_result == real_result, (op, "fake", fake_result, "real", real_result)
            sim_tree, fake_tree, real_tree = (b.tree() for b in backends)
            assert sim_tree == real_tree
            if backends[1].diverged is None:
                assert fake_tree == real_tree
        finally:
            real = backends[2]
            for index, fd in enumerate(real.handles):
                if index not in real.closed:
                    os.close(fd)
