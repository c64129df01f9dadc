"""The reader reads a manifest's entries once per parse: its checks from those facts are the checks.

The listing check from the facts made at the manifest's parse (and `check_listed_segments`, which
is the same code) must raise exactly what a walk of the manifest's entries raises, first error
first; the facts' held entries must be `held_entries` of the manifest, and their values each
entry's name, record count, size and sealed flag.
"""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

import omen.ledger.reader as reader_module
from omen import LedgerCorruptionError
from omen.ledger.manifest import Manifest, SegmentEntry

PARTITION = "2026-03-01"
NAMES = [f"segment-{index:06d}.log" for index in range(1, 7)]


@st.composite
def manifests_and_listings(draw):  # noqa: ANN001, ANN201
    listed = sorted(draw(st.sets(st.sampled_from(NAMES), max_size=len(NAMES))))
    entries = tuple(SegmentEntry(name=name, record_count=draw(st.integers(0, 3)), size_bytes=draw(st.integers(0, 900)),
                                 sealed=draw(st.booleans())) for name in listed)
    manifest = Manifest(partition=PARTITION, is_late=False, sealed=draw(st.booleans()), revision=1,
                        highwater_sequence=0, record_count=sum(entry.record_count for entry in entries),
                        segments=entries, updated_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    names = sorted(draw(st.sets(st.sampled_from(NAMES), max_size=len(NAMES))))
    return manifest, names


def listing_checked_by_walking(partition: str, manifest: Manifest, names: list[str]) -> None:
    """The rule as the reader first wrote it, entry by entry (docs/ledger-format.md)."""
    present = set(names)
    for entry in manifest.segments:
        if (manifest.sealed or entry.sealed) and entry.name not in present:
            raise LedgerCorruptionError(partition, entry.name, 0, "a segment the manifest lists as sealed is missing")
    if manifest.sealed:
        listed = {entry.name for entry in manifest.segments}
        for name in names:
            if name not in listed:
                raise LedgerCorruptionError(partition, name, 0, "a segment of a sealed partition is not in its manifest")


def error_of(check, *args) -> str | None:  # noqa: ANN001
    try:
        check(*args)
    except LedgerCorruptionError as error:
        return str(error)
    return None


@given(manifests_and_listings())
def test_the_listing_check_from_the_facts_raises_what_the_manifest_check_raises(case) -> None:
    manifest, names = case
    facts = reader_module._manifest_facts(manifest)
    walked = error_of(listing_checked_by_walking, PARTITION, manifest, names)
    assert error_of(reader_module._check_listed, PARTITION, facts.must_exist, facts.listed, names) == walked
    assert error_of(reader_module.check_listed_segments, PARTITION, manifest, names) == walked


@given(manifests_and_listings())
def test_the_facts_hold_the_entries_and_values_the_checks_read(case) -> None:
    manifest, _ = case
    facts = reader_module._manifest_facts(manifest)
    held = reader_module.held_entries(manifest)
    assert facts.held == held
    assert facts.held_values == {name: (entry.name, entry.record_count, entry.size_bytes, entry.sealed)
                                 for name, entry in held.items()}
    assert facts.sealed_sizes == (tuple((entry.name, entry.size_bytes) for entry in manifest.segments)
                                  if manifest.sealed else ())


def test_no_manifest_has_no_facts_to_hold_segments_to() -> None:
    facts = reader_module._manifest_facts(None)
    assert (facts.held, facts.held_values, facts.must_exist, facts.listed) == ({}, {}, (), None)
    reader_module._check_listed(PARTITION, facts.must_exist, facts.listed, NAMES)  # nothing to require or refuse
