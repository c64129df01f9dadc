"""Hypothesis properties of the ledger's recovery rule: torn tails give prefixes, bit rot is never silent."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omen import FixedClock, LedgerCorruptionError, LedgerReader, LedgerWriter
from tests.omen.ledger_helpers import DAY_1, make_event

PARTITION = "2026-03-01"
RECORDS = 6


@pytest.fixture(scope="module")
def ledger_root() -> Iterator[str]:
    """Two segments: segment-000001 sealed by rollover (3 records), segment-000002 active (3 records)."""
    base = tempfile.mkdtemp(prefix="ledger-props-")
    root = os.path.join(base, "ledger")
    writer = LedgerWriter(root, clock=FixedClock(DAY_1), segment_max_records=3)
    for i in range(RECORDS):
        writer.write(make_event(i))
    writer.close()
    yield root
    shutil.rmtree(base)


def _segment_path(root: str, name: str) -> str:
    return os.path.join(root, PARTITION, name)


def _original(root: str) -> list:
    return list(LedgerReader(root).read_partition(PARTITION))


def _with_bytes(path: str, data: bytes):
    """Context: the file holds `data` for the duration, then its original bytes and mode again."""

    class Swap:
        def __enter__(self):
            self.mode = os.stat(path).st_mode
            with open(path, "rb") as f:
                self.saved = f.read()
            os.chmod(path, 0o644)
            with open(path, "wb") as f:
                f.write(data)

        def __exit__(self, *exc):
            with open(path, "wb") as f:
                f.write(self.saved)
            os.chmod(path, self.mode)

    return Swap()


def _read_until_error(root: str) -> tuple[list, LedgerCorruptionError | None]:
    got = []
    try:
        for record in LedgerReader(root).read_partition(PARTITION):
            got.append(record)
    except LedgerCorruptionError as error:
        return got, error
    return got, None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncating_the_active_segment_at_any_byte_yields_a_prefix_of_the_records(ledger_root, data):
    original = _original(ledger_root)
    path = _segment_path(ledger_root, "segment-000002.log")
    with open(path, "rb") as f:
        content = f.read()
    cut = data.draw(st.integers(min_value=0, max_value=len(content)), label="cut")
    with _with_bytes(path, content[:cut]):
        got = list(LedgerReader(ledger_root).read_partition(PARTITION))
    assert got == original[: len(got)]
    assert len(got) >= 3, "the sealed first segment is untouched, so its records always survive"
    if cut == len(content):
        assert got == original


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_bit_flip_in_a_sealed_segment_raises_corruption_and_yields_no_wrong_record(ledger_root, data):
    original = _original(ledger_root)
    path = _segment_path(ledger_root, "segment-000001.log")
    with open(path, "rb") as f:
        content = bytearray(f.read())
    bit = data.draw(st.integers(min_value=0, max_value=len(content) * 8 - 1), label="bit")
    content[bit // 8] ^= 1 << (bit % 8)
    with _with_bytes(path, bytes(content)):
        got, error = _read_until_error(ledger_root)
    assert error is not None, f"bit {bit} flipped in a sealed segment went unnoticed"
    assert (error.partition, error.segment) == (PARTITION, "segment-000001.log")
    assert 0 <= error.offset_bytes <= bit // 8
    assert got == original[: len(got)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_bit_flip_in_the_active_segment_is_never_read_as_a_wrong_record(ledger_root, data):
    original = _original(ledger_root)
    path = _segment_path(ledger_root, "segment-000002.log")
    with open(path, "rb") as f:
        content = bytearray(f.read())
    last_frame_start = len(content) - len(content) // 3  # the three frames have equal lengths
    bit = data.draw(st.integers(min_value=0, max_value=len(content) * 8 - 1), label="bit")
    content[bit // 8] ^= 1 << (bit % 8)
    with _with_bytes(path, bytes(content)):
        got, error = _read_until_error(ledger_root)
    assert got == original[: len(got)]
    if bit // 8 < last_frame_start:
        assert error is not None, "a bad frame followed by a valid one must be reported"
    else:
        assert error is None and got == original[:-1], "a damaged last frame reads as a torn tail"
