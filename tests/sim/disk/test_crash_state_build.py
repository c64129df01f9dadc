"""The crash model's state building (`crash_model.build_state`, `enumerate_states`, `draw_state`) held
to the plain form it replaced: every file's bytes made by `file_outcome` (its durable bytes copied
even when nothing is pending) and each state's tree walked afresh. WHY: a file with nothing pending
takes its node's durable snapshot, and the enumeration builds a namespace choice's tree once for all
its file choices; both must give every state, field for field (torn regions, entry ops, data ops,
installs: fields that equality of states ignores), in the same order, with the same rng draws."""
from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.disk import DiskFault, SimDisk
from sim.disk import crash_model as model

W = os.O_WRONLY | os.O_CREAT


def _reference_state(nodes, keep, choose, garbage, names) -> model.CrashState:
    listings: dict = {}

    def listing(directory):
        if directory.ino not in listings:
            listings[directory.ino] = model.listing_of(directory, keep)
        return listings[directory.ino]

    dirs, files = model.walk(nodes, listing)
    kept_ops, dropped_ops = [], []
    for dir_ino in sorted(keep):
        label = names.get(dir_ino, f"<dir inode {dir_ino}>")
        pending = nodes[dir_ino].pending
        kept_ops.extend(f"{label}: {op.describe()}" for op in pending[:keep[dir_ino]])
        dropped_ops.extend(f"{label}: {op.describe()}" for op in pending[keep[dir_ino]:])
    file_items, file_installs, torn, data_ops = [], [], [], []
    for path, ino in files:
        node = nodes[ino]
        choice = choose(node) if node.pending else (0, None)
        data, regions = model.file_outcome(node, choice, garbage)
        if node.pending:
            data_ops.append((path, choice[0], len(node.pending) - choice[0]))
        torn.extend(model.TornRegion(path, start, end, fill) for start, end, fill in regions)
        file_items.append((path, data))
        file_installs.append((ino, node.mode, data))
    dir_installs = tuple((ino, nodes[ino].mode, tuple(sorted(listing(nodes[ino]).items()))) for _, ino in dirs)
    return model.CrashState(
        dirs=tuple(path for path, _ in dirs), files=tuple(file_items), torn=tuple(torn),
        kept_entry_ops=tuple(kept_ops), dropped_entry_ops=tuple(dropped_ops),
        data_ops=tuple(data_ops), install=(dir_installs, tuple(file_installs)))


def _reference_enumeration(nodes, dirty, limit: int) -> list[model.CrashState]:
    import itertools
    dirs = model.pending_dirs(nodes, dirty)
    names = model.visible_paths(nodes)
    found: dict = {}
    for combo in itertools.product(*[range(len(nodes[d].pending) + 1) for d in dirs]):
        keep = dict(zip(dirs, combo))
        if model._first_inconsistency(nodes, keep) is not None:
            continue
        _, files = model.walk(nodes, lambda d: model.listing_of(d, keep))
        pending_files = [nodes[ino] for _, ino in files if nodes[ino].pending]
        for picks in itertools.product(*[model.file_options(node) for node in pending_files]):
            by_ino = {node.ino: pick for node, pick in zip(pending_files, picks)}
            state = _reference_state(nodes, keep, lambda node: by_ino[node.ino], model._pattern, names)
            found.setdefault(state, state)
    assert len(found) <= limit
    return list(found.values())


def _fields(state: model.CrashState) -> tuple:
    return (state.dirs, state.files, state.torn, state.kept_entry_ops, state.dropped_entry_ops,
            state.data_ops, state.install)


class _EioOnce:
    """Fails the fsync it is armed for with EIO (so the file keeps a dropped range), else nothing."""

    def __init__(self) -> None:
        self.armed = False

    def decide(self, op: str, path: str, nbytes: int):
        if self.armed and op == "fsync":
            self.armed = False
            return DiskFault("fsync_eio")
        return None


STEPS = st.lists(st.tuples(st.sampled_from(["write", "write_sync", "write_eio", "fsync_dir", "rename", "unlink"]),
                           st.sampled_from(["/a", "/d/b", "/d/c"]), st.integers(min_value=1, max_value=1200)),
                 min_size=1, max_size=7)


def _history(steps) -> SimDisk:
    disk = SimDisk(random.Random(0))
    hook = disk.fault_hook = _EioOnce()
    disk.mkdir("/d")
    for step, path, size in steps:
        if step.startswith("write"):
            fd = disk.open(path, W, 0o644)
            disk.lseek(fd, size // 3, os.SEEK_SET)
            disk.write(fd, bytes([size % 251]) * size)
            if step != "write":
                hook.armed = step == "write_eio"
                try:
                    disk.fsync(fd)
                except OSError:
                    pass
            disk.close(fd)
        elif step == "fsync_dir":
            for directory in ("/", "/d"):
                fd = disk.open(directory, os.O_RDONLY)
                disk.fsync(fd)
                disk.close(fd)
        elif path in disk.visible_files():
            if step == "rename":
                disk.rename(path, "/d/moved" if path != "/d/moved" else "/a")
            else:
                disk.unlink(path)
    disk.fault_hook = None
    return disk


@settings(max_examples=120, deadline=None)
@given(steps=STEPS)
def test_enumerated_states_are_the_plainly_built_ones_field_for_field(steps) -> None:
    disk = _history(steps)
    try:
        states = model.enumerate_states(disk._nodes, disk._dirty, 4000)
    except model.CrashStateLimitError:
        return
    assert [_fields(s) for s in states] == [_fields(s) for s in _reference_enumeration(disk._nodes, disk._dirty, 4000)]


@settings(max_examples=120, deadline=None)
@given(steps=STEPS, seed=st.integers(min_value=0, max_value=2**32))
def test_a_drawn_state_is_the_plainly_built_one_with_the_same_draws(steps, seed) -> None:
    disk = _history(steps)
    fast, plain = random.Random(seed), random.Random(seed)
    state = model.draw_state(disk._nodes, disk._dirty, fast)
    keep = model.draw_namespace(disk._nodes, disk._dirty, plain)
    reference = _reference_state(disk._nodes, keep, lambda node: model.draw_file_choice(node, plain),
                                 plain.randbytes, model.visible_paths(disk._nodes))
    assert _fields(state) == _fields(reference)
    assert fast.getstate() == plain.getstate()


def test_the_histories_reach_the_cases_the_fast_form_treats_apart() -> None:
    """A file with nothing pending beside a pending one, and a dropped range with nothing pending."""
    disk = _history([("write_sync", "/a", 700), ("write", "/d/b", 600), ("write_sync", "/d/c", 900),
                     ("write_eio", "/d/c", 300),
                     ("fsync_dir", "/a", 1)])
    nodes = disk._nodes
    files = {path: nodes[ino] for path, ino in model.walk(nodes, lambda d: d.entries)[1]}
    assert not files["/a"].pending and not files["/a"].dropped and files["/d/b"].pending
    assert not files["/d/c"].pending and files["/d/c"].dropped
    states = model.enumerate_states(nodes, disk._dirty, 4000)
    assert any(t.fill == "fsync_eio_zeros" for s in states for t in s.torn)
    assert [_fields(s) for s in states] == [_fields(s) for s in _reference_enumeration(nodes, disk._dirty, 4000)]


def _reference_walk(nodes, listing):
    """`crash_model.walk` as it was before it stopped sorting each directory and testing each name."""
    dirs, files = [], []
    stack = [("/", model.ROOT_INO)]
    seen = {model.ROOT_INO}
    for _ in range(model.TREE_NODES_MAX):
        if not stack:
            break
        path, ino = stack.pop()
        dirs.append((path, ino))
        for name, child_ino in sorted(listing(nodes[ino]).items()):
            assert child_ino not in seen, f"inode {child_ino} reachable twice: the crash model broke atomicity"
            seen.add(child_ino)
            child_path = path + name if path == "/" else path + "/" + name
            if nodes[child_ino].is_dir:
                stack.append((child_path, child_ino))
            else:
                files.append((child_path, child_ino))
    else:
        raise AssertionError("tree larger than TREE_NODES_MAX")
    dirs.sort()
    files.sort()
    return dirs, files


@settings(max_examples=120, deadline=None)
@given(steps=STEPS)
def test_a_walk_lists_what_the_walk_sorting_each_directory_listed(steps) -> None:
    disk = _history(steps)
    nodes = disk._nodes
    listings = [lambda d: d.entries, lambda d: d.durable]
    dirs = model.pending_dirs(nodes, disk._dirty)
    for counts in [{d: len(nodes[d].pending) for d in dirs}, {d: len(nodes[d].pending) // 2 for d in dirs}]:
        listings.append(lambda d, keep=counts: model.listing_of(d, keep))
    for listing in listings:
        assert model.walk(nodes, listing) == _reference_walk(nodes, listing)


def test_an_inode_reached_twice_is_named_as_the_walk_testing_each_name_named_it() -> None:
    disk = SimDisk(random.Random(0))
    disk.mkdir("/d")
    disk.mkdir("/d/e")
    for path in ("/a", "/d/b", "/d/e/c"):
        disk.close(disk.open(path, W, 0o644))
    nodes = disk._nodes
    ino = {path: nodes_ino for path, nodes_ino in model.walk(nodes, lambda d: d.entries)[1]}
    dirs = dict(model.walk(nodes, lambda d: d.entries)[0])
    broken = [
        {"/d": {"z": ino["/a"]}},  # a file linked again in another directory
        {"/d": {"x": ino["/d/b"]}},  # a file linked twice in one directory
        {"/d/e": {"up": dirs["/d"]}},  # a cycle
        {"/d": {"root": model.ROOT_INO}},  # the root linked below itself
    ]
    for extra in broken:
        def listing(directory, extra=extra):
            entries = dict(directory.entries)
            for path, links in extra.items():
                if directory.ino == dirs[path]:
                    entries.update(links)
            return entries
        messages = []
        for walk in (model.walk, _reference_walk):
            try:
                walk(nodes, listing)
            except AssertionError as error:
                messages.append(str(error).splitlines()[0])  # pytest adds its rewrite of the assert
        assert len(messages) == 2 and messages[0] == messages[1], messages
