"""The seal observer's memo of "does this manifest say sealed": the same answer as reading it now.

`SealObserver.says_sealed` skips reading and parsing a manifest whose visible version and size are
those of the last look (see `SimDisk.visible_version`). Whatever happens to the manifest between
looks (replaced by a rename, rewritten in place at the same size, cut, grown, rotted, removed,
a crash), the answer must be `manifest_says_sealed`'s, which reads the bytes every time. The
shared parse behind both (`manifest_document`) must be `json.loads`, value and error alike.
"""
from __future__ import annotations

import json
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.observers import SimDiskView
from scenarios.observers.manifest_json import manifest_document
from scenarios.observers.observations import Observations
from scenarios.observers.seals import SealObserver, manifest_says_sealed
from sim.disk import SimDisk

ROOT = "/ledger"
PARTITION = "2026-03-01"
DIRECTORY = f"{ROOT}/{PARTITION}"
MANIFEST = f"{DIRECTORY}/_manifest.json"
# same-size twins: an in-place rewrite of one by the other keeps the size and must still be seen
CONTENTS = [b'{"sealed":true}', b'{"sealed":fals}', b'{"sealed":false}', b'{"sealed":null}',
            b'{"sealed":1}   ', b"not json at all", b"", b'{"sealed":true,"x":[1,2,3]}']

steps = st.lists(st.one_of(
    st.tuples(st.just("replace"), st.sampled_from(CONTENTS)),
    st.tuples(st.just("overwrite"), st.sampled_from(CONTENTS)),
    st.tuples(st.just("truncate"), st.integers(0, 20)),
    st.tuples(st.just("append"), st.sampled_from([b" ", b"}", b'"'])),
    st.tuples(st.just("rot"), st.integers(0, 200)),
    st.tuples(st.just("unlink"), st.none()),
    st.tuples(st.just("crash"), st.none()),
    st.tuples(st.just("fsync"), st.none()),
), max_size=25)


def _apply(disk: SimDisk, step: str, arg: object) -> None:
    exists = disk.visible_size(MANIFEST) is not None
    if step == "replace":
        fd = disk.open(f"{DIRECTORY}/tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        disk.write(fd, arg)
        disk.close(fd)
        disk.replace(f"{DIRECTORY}/tmp", MANIFEST)
    elif step == "overwrite" and exists:
        fd = disk.open(MANIFEST, os.O_WRONLY)
        disk.write(fd, arg)
        disk.close(fd)
    elif step == "truncate" and exists:
        fd = disk.open(MANIFEST, os.O_WRONLY)
        disk.ftruncate(fd, arg)
        disk.close(fd)
    elif step == "append" and exists:
        fd = disk.open(MANIFEST, os.O_WRONLY | os.O_APPEND)
        disk.write(fd, arg)
        disk.close(fd)
    elif step == "rot" and disk.durable_size(MANIFEST):  # rot strikes durable bytes (reads see them)
        disk.flip_bit(MANIFEST, arg % (8 * disk.durable_size(MANIFEST)))
    elif step == "unlink" and exists:
        disk.unlink(MANIFEST)
    elif step == "crash":
        disk.crash()
    elif step == "fsync" and exists:
        fd = disk.open(MANIFEST, os.O_RDONLY)
        disk.fsync(fd)
        disk.close(fd)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_the_remembered_answer_is_always_the_answer_read_now(history: list[tuple[str, object]]) -> None:
    disk = SimDisk(random.Random(1))
    disk.makedirs(DIRECTORY)
    for directory in ("/", ROOT, DIRECTORY):
        fd = disk.open(directory, os.O_RDONLY)
        disk.fsync(fd)
        disk.close(fd)
    view = SimDiskView(disk)
    observer = SealObserver(view, ROOT, lambda *args, **fields: 0, Observations())
    for step, arg in [("replace", CONTENTS[0]), *history]:
        _apply(disk, step, arg)
        if disk.visible_names(ROOT) != [PARTITION]:
            disk.makedirs(DIRECTORY, exist_ok=True)  # a crash may take the directory: the look goes on
        try:
            expected = manifest_says_sealed(view, ROOT, PARTITION)
        except AttributeError:  # a document that is not an object: the observer raises the same
            with pytest.raises(AttributeError):
                observer.says_sealed(PARTITION)
            continue
        assert observer.says_sealed(PARTITION) == expected, (step, arg, view.read_bytes(MANIFEST))
        assert observer.says_sealed(PARTITION) == expected  # and again, from the memo


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=30), st.sampled_from(CONTENTS),
                 st.builds(lambda v: json.dumps(v).encode(), st.recursive(
                     st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3)),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                     max_leaves=8))))
def test_the_shared_parse_is_json_loads(data: bytes) -> None:
    for _ in range(2):  # the first parse, then the remembered one
        try:
            expected = json.loads(data)
        except ValueError as error:
            with pytest.raises(type(error)):
                manifest_document(data)
        else:
            assert manifest_document(data) == expected
            assert manifest_document(bytearray(data)) == expected  # not hashable: parsed, not remembered
