"""The manifest's JSON written directly is `Manifest.to_bytes()`'s, byte for byte.

WHY: `manifest_entries` renders a rollover's header and its unsealed entries without the canonical
encoder (about 75 k instructions a rollover), and falls back to it for any value it would escape.
The manifest is read back by readers, reconcile and the checkers, so the bytes must not move: every
drawn manifest, plain or not (names with quotes, non-ASCII, other zones' timestamps, huge counts),
must render as the model's own serialization renders it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from omen.ledger.manifest import Manifest, SegmentEntry
from omen.ledger.manifest_entries import entry_json, manifest_bytes
from omen.schema import canonical_json

COUNT_MAX = 2**70  # past 64 bits: the direct rendering must write any int as the encoder does

_names = st.one_of(
    st.integers(1, 999_999).map(lambda index: f"segment-{index:06d}.log"),
    st.text(max_size=12),
)
_partitions = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.dates().map(lambda day: day.isoformat() + "-late"),
    st.text(max_size=12),
)
_zones = st.sampled_from([timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])
_times = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=_zones)
_entries = st.builds(SegmentEntry, name=_names, record_count=st.integers(0, COUNT_MAX),
                     size_bytes=st.integers(0, COUNT_MAX), sealed=st.booleans())


@settings(max_examples=400, deadline=None)
@given(entry=_entries)
def test_an_entry_renders_as_the_canonical_encoder_renders_it(entry):
    assert entry_json(entry) == canonical_json(entry.model_dump(mode="json"))


@settings(max_examples=400, deadline=None)
@given(
    partition=_partitions, is_late=st.booleans(), sealed=st.booleans(), revision=st.integers(1, COUNT_MAX),
    highwater=st.integers(0, COUNT_MAX), updated_at=_times, sealed_at=st.none() | _times,
    entries=st.lists(_entries, max_size=4),
)
def test_a_manifest_renders_as_to_bytes_renders_it(partition, is_late, sealed, revision, highwater, updated_at,
                                                   sealed_at, entries):
    record_count = sum(entry.record_count for entry in entries)
    header = Manifest(partition=partition, is_late=is_late, sealed=sealed, revision=revision,
                      highwater_sequence=highwater, record_count=record_count, segments=(),
                      updated_at=updated_at, sealed_at=sealed_at)
    full = header.model_copy(update={"segments": tuple(entries)})
    assert manifest_bytes(header, [entry_json(entry) for entry in entries]) == full.to_bytes()


def test_the_writer_s_usual_manifest_takes_the_direct_rendering():
    """The plain case is the one the writer meets (so the fast path is what the property above holds)."""
    from omen.ledger import manifest_entries

    header = Manifest(partition="2026-03-01-late", is_late=True, sealed=False, revision=7, highwater_sequence=12,
                      record_count=12, segments=(), updated_at=datetime(2026, 3, 2, 0, 0, 0, 5, tzinfo=timezone.utc))
    entry = SegmentEntry(name="segment-000002.log", record_count=12, size_bytes=4096, sealed=False)
    assert manifest_entries._header_json(header) == header.to_bytes()
    assert entry_json(entry) == canonical_json(entry.model_dump(mode="json"))


def test_an_unvalidated_entry_s_odd_values_go_to_the_encoder():
    """`model_construct` skips validation: a bool count must still be written as the model dumps it."""
    entry = SegmentEntry.model_construct(name="segment-000001.log", record_count=True, size_bytes=False, sealed=True)
    assert entry_json(entry) == canonical_json(entry.model_dump(mode="json"))
    assert b'"record_count":1,' in entry_json(entry)  # the int serializer's answer, never Python's `True`
