"""The oracle reads a manifest's `sealed` and the segments it holds to counts from one parse of its
bytes, shared through the memo: the same facts as reading each from the bytes apart. A manifest that
breaks the format's rules (docs/ledger-format.md, "Manifest": its fields and their types, the
partition's own name, timestamps with an offset, distinct segment names in order, `record_count`
their sum) has neither: no reader can trust it. The oracle's rules are its own code; what they must
agree with is the system's parse, on every manifest rot can make of one the writer wrote (found by
`chaos` seeds 309222 and 310940, where rot left JSON that parsed and a manifest that did not)."""
from __future__ import annotations

import json
import re

from hypothesis import assume, given, settings, strategies as st

from omen.ledger.errors import LedgerCorruptionError
from omen.ledger.manifest import parse_manifest
from scenarios.ledger_oracle import BytesMemo, _manifest_facts, parse_ledger
from scenarios.runner import run

PARTITION = "2026-01-01"


def sealed_apart(data: bytes) -> bool | None:
    try:
        sealed = json.loads(data).get("sealed")
    except (ValueError, AttributeError):
        return None
    return sealed if isinstance(sealed, bool) else None


def held_apart(data: bytes) -> dict[str, tuple[int, int]]:
    try:
        document = json.loads(data)
        sealed = document["sealed"] is True
        return {str(entry["name"]): (int(entry["record_count"]), int(entry["size_bytes"]))
                for entry in document["segments"] if sealed or entry["sealed"] is True}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def the_system_reads(data: bytes, partition: str = PARTITION) -> bool:
    try:
        parse_manifest(data, partition)
    except LedgerCorruptionError:
        return False
    return True


def written(segments: list[dict], *, sealed: bool = True, partition: str = PARTITION) -> dict:
    """A manifest document as the writer writes one."""
    return {"format_version": 1, "highwater_sequence": sum(entry["record_count"] for entry in segments),
            "is_late": partition.endswith("-late"), "partition": partition,
            "record_count": sum(entry["record_count"] for entry in segments), "revision": 3, "sealed": sealed,
            "sealed_at": "2026-01-02T00:00:22.002666Z" if sealed else None, "segments": segments,
            "updated_at": "2026-01-02T00:00:22.002666Z"}


def canonical(document: object) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode() + b"\n"


ODD_VALUES = st.sampled_from([None, True, False, 0, -1, 1, 2, 1.0, "1", "", [], {}, "2026-01-02T00:00:22Z",
                              "2026-01-02t00:00:22,5z", ":026-01-02T00:00:22Z", "2026-01-02T00:00:22",
                              "2026-01-02T00:00:22+24:00", "segment-000001.log", "segment-1.log", PARTITION])
FIELDS = st.sampled_from(["format_version", "partition", "is_late", "sealed", "sealed_at", "revision",
                          "highwater_sequence", "record_count", "segments", "updated_at", "extra"])
ENTRY_FIELDS = st.sampled_from(["name", "record_count", "size_bytes", "sealed", "extra"])


@st.composite
def near_manifests(draw):  # noqa: ANN001, ANN201
    """A manifest as the writer writes it, then perhaps a field (of the manifest or of an entry)
    given another value, or taken away, or one added."""
    indexes = sorted(draw(st.sets(st.integers(1, 9), max_size=4)))
    segments = [{"name": f"segment-{index:06d}.log", "record_count": draw(st.integers(0, 3)),
                 "size_bytes": draw(st.integers(0, 99)), "sealed": draw(st.booleans())} for index in indexes]
    document = written(segments, sealed=draw(st.booleans()))
    for _ in range(draw(st.integers(0, 2))):
        target = draw(st.sampled_from(segments)) if segments and draw(st.booleans()) else document
        field = draw(ENTRY_FIELDS if target is not document else FIELDS)
        if draw(st.booleans()) and field in target:
            del target[field]
        else:
            target[field] = draw(ODD_VALUES)
    # The system's parser also reads a string of digits as Unix seconds ("1" is 1970-01-01T00:00:01Z);
    # the oracle does not (docs/ledger-format.md): no rot of a timestamp the writer wrote makes one
    assume(not any(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", str(document.get(field)))
                   for field in ("updated_at", "sealed_at")))
    return canonical(document)


@settings(max_examples=500, deadline=None)
@given(st.one_of(near_manifests(), st.binary(max_size=20)))
def test_one_parse_gives_the_facts_of_a_manifest_the_system_reads_and_none_of_one_it_does_not(data: bytes) -> None:
    expected = (sealed_apart(data), held_apart(data)) if the_system_reads(data) else (None, {})
    assert _manifest_facts(PARTITION, data) == expected


def test_every_bit_rot_can_flip_in_a_written_manifest_leaves_one_both_read_or_neither() -> None:
    """Every single-bit flip of every manifest two runs wrote (main and late days, open and sealed)."""
    manifests = {}
    for scenario in ("calm", "late_arrivals"):
        files = run(scenario, 0, overrides={"workload": {"signal_count": 60}}, keep_world=True).world.disk.visible_files()
        manifests.update({path: data for path, data in files.items() if path.endswith("/_manifest.json")})
    assert any(b'"sealed":true' in data for data in manifests.values()) and len(manifests) >= 2
    disagreements = []
    for path, data in sorted(manifests.items()):
        partition = path.split("/")[-2]
        for at in range(len(data)):
            for bit in range(8):
                rotten = bytearray(data)
                rotten[at] ^= 1 << bit
                rotten = bytes(rotten)
                if the_system_reads(rotten, partition) != (_manifest_facts(partition, rotten)[0] is not None):
                    disagreements.append(rotten)
    assert not disagreements, disagreements[:3]


def test_a_memo_shares_the_parse_and_each_ledger_gets_its_own_dict() -> None:
    root = "/ledger"
    manifest = canonical(written([{"name": "segment-000001.log", "record_count": 0, "size_bytes": 0, "sealed": True}]))
    files = {f"{root}/{PARTITION}/_manifest.json": manifest, f"{root}/{PARTITION}/segment-000001.log": b""}
    memo = BytesMemo()
    first, second = parse_ledger(files, root, memo=memo), parse_ledger(files, root, memo=memo)
    assert first[PARTITION].held_segments == {"segment-000001.log": (0, 0)} == second[PARTITION].held_segments
    assert first[PARTITION].held_segments is not second[PARTITION].held_segments
    assert first[PARTITION].sealed is True and parse_ledger(files, root)[PARTITION].sealed is True


def test_a_manifest_whose_rotten_name_repeats_another_is_no_manifest() -> None:
    """`chaos` seed 309222: rot turned a sealed day's `segment-000003.log` into `segment-000001.log`."""
    names = ["segment-000001.log", "segment-000002.log", "segment-000001.log"]
    manifest = canonical(written([{"name": name, "record_count": 1, "size_bytes": 9, "sealed": True} for name in names]))
    assert _manifest_facts(PARTITION, manifest) == (None, {})
    assert _manifest_facts(PARTITION, manifest.replace(b'000001.log"', b'000003.log"', 2).replace(
        b'000003.log"', b'000001.log"', 1))[0] is True


def test_a_manifest_whose_rotten_timestamp_is_none_is_no_manifest() -> None:
    """`chaos` seed 310940: rot turned a sealed day's `updated_at` into ":026-01-02T00:00:22.002666Z"."""
    manifest = canonical(written([{"name": "segment-000001.log", "record_count": 1, "size_bytes": 9, "sealed": True}]))
    assert _manifest_facts(PARTITION, manifest)[0] is True
    rotten = manifest.replace(b'"updated_at":"2', b'"updated_at":":')
    assert not the_system_reads(rotten) and _manifest_facts(PARTITION, rotten) == (None, {})
    assert _manifest_facts("2026-01-02", manifest) == (None, {}), "another partition's manifest"
