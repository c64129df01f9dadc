"""The ledger reader under fuzzed damage (Hypothesis): only typed errors, only original records, in order.

Every kind of damage of `scenarios.ledger_fuzz.DAMAGES` (bit flips, substitutions, truncations,
insertions, garbage, huge lengths, moved frames, payloads edited with their CRC recomputed, damaged
manifests, deleted files, a read-only active segment), one to three per variant, on a sealed and an
unsealed base ledger. The long run of the same check (a million variants) is a documented command:
`python -m scenarios.ledger_fuzz --variants 1000000 --seed 0` (figures in the README); with
OMEN_LEDGER_FUZZ_VARIANTS=N set, `test_the_long_run` runs N variants here.
"""
from __future__ import annotations

import os
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.ledger_fuzz import DAMAGES, FuzzFailure, build_bases, check_variant, damaged_variant, run_long

BASES = build_bases()


@settings(max_examples=300)
@given(base_index=st.sampled_from(range(len(BASES))), rng=st.randoms(use_true_random=False))
def test_any_damage_ends_typed_and_yields_only_original_records_in_order(base_index, rng):
    base = BASES[base_index]
    files, applied, accountable = damaged_variant(base, rng)
    check_variant(base, files, accountable=accountable, outcomes=Counter())


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda damage: damage.__name__)
@settings(max_examples=40)
@given(rng=st.randoms(use_true_random=False))
def test_each_kind_of_damage_alone_is_typed_and_accounted_for(damage, rng):
    for base in BASES:
        files = {path: [data, mode] for path, (data, mode) in base.files.items()}
        damage(files, rng)
        accountable = base.sealed and damage.__name__ not in ("manifest_damaged", "file_deleted")
        check_variant(base, files, accountable=accountable and not _touched_manifest(base, files), outcomes=Counter())


def _touched_manifest(base, files) -> bool:
    path = next(p for p in base.files if p.endswith("_manifest.json"))
    return files.get(path, [None])[0] != base.files[path][0]


def test_the_checks_catch_a_reader_that_yields_a_forged_record():
    """The fuzz's own oracle can fail: a record the writer never wrote is refused."""
    base = BASES[0]
    from omen.ledger import reader as reader_module

    files = {path: [data, mode] for path, (data, mode) in base.files.items()}
    original = reader_module.LedgerReader.read_partition

    def forged(self, partition):  # noqa: ANN001, ANN202
        records = list(original(self, partition))
        yield from reversed(records)

    reader_module.LedgerReader.read_partition = forged
    try:
        with pytest.raises(FuzzFailure, match="did not write, or out of order"):
            check_variant(base, files, accountable=False, outcomes=Counter())
    finally:
        reader_module.LedgerReader.read_partition = original


def test_a_short_long_run_reports_its_figures():
    summary = run_long(60, seed=3, report=lambda line: None)
    assert summary["variants"] == 60 and summary["variants_per_s"] > 0
    outcomes = summary["outcomes"]
    assert outcomes["salvage_partition: read"] == 60  # salvage reads past every damage
    assert outcomes.get("read_partition: corruption", 0) > 0


@pytest.mark.skipif("OMEN_LEDGER_FUZZ_VARIANTS" not in os.environ, reason="the long run: set OMEN_LEDGER_FUZZ_VARIANTS")
def test_the_long_run():
    variants = int(os.environ["OMEN_LEDGER_FUZZ_VARIANTS"])
    seed = int(os.environ.get("OMEN_LEDGER_FUZZ_SEED", random.SystemRandom().randrange(2**32)))
    print(run_long(variants, seed, report=print))
