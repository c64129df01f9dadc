"""The oracle reads a manifest's `sealed` and the segments it holds to counts from one parse of its
bytes, shared through the memo: the same facts as reading each from the bytes apart, for any bytes.
A manifest that breaks the format's parse rules (distinct segment names in order, `record_count`
their sum: docs/ledger-format.md) has neither: no reader can trust it (`chaos` seed 309222)."""
from __future__ import annotations

import json
import re

from hypothesis import given, settings, strategies as st

from scenarios.ledger_oracle import BytesMemo, _manifest_facts, parse_ledger


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


def follows_the_format_apart(data: bytes) -> bool:
    try:
        document = json.loads(data)
        names = [entry["name"] for entry in document["segments"]]
        counts = [entry["record_count"] for entry in document["segments"]]
        total = document["record_count"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return (all(isinstance(name, str) and re.fullmatch(r"segment-\d{6}\.log", name, re.ASCII) for name in names)
            and names == sorted(set(names))
            and all(type(count) is int for count in [*counts, total]) and sum(counts) == total)


values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3), st.just("12"))
entries = st.fixed_dictionaries({}, optional={"name": values, "record_count": values, "size_bytes": values,
                                              "sealed": values})
documents = st.one_of(
    st.fixed_dictionaries({}, optional={"sealed": values, "segments": st.one_of(values, st.lists(entries, max_size=3))}),
    st.lists(values, max_size=2), values)

@st.composite
def well_formed_or_nearly(draw):  # noqa: ANN001, ANN201
    """A manifest as the writer writes it, then perhaps one entry's name, count or the total off."""
    indexes = sorted(draw(st.sets(st.integers(1, 9), max_size=4)))
    segments = [{"name": f"segment-{index:06d}.log", "record_count": draw(st.integers(0, 3)),
                 "size_bytes": draw(st.integers(0, 99)), "sealed": draw(st.booleans())} for index in indexes]
    document = {"sealed": draw(st.booleans()), "segments": segments,
                "record_count": sum(segment["record_count"] for segment in segments)}
    if segments and draw(st.booleans()):
        victim = draw(st.sampled_from(segments))
        field = draw(st.sampled_from(["name", "record_count", "total"]))
        if field == "name":
            victim["name"] = draw(st.sampled_from([segments[0]["name"], "segment-000001.log", "segment-1.log", 7]))
        elif field == "record_count":
            victim["record_count"] = draw(st.sampled_from([victim["record_count"] + 1, True, "1"]))
        else:
            document["record_count"] += 1
    return json.dumps(document).encode()


manifest_bytes = st.one_of(documents.map(lambda d: json.dumps(d).encode()), st.binary(max_size=20),
                           well_formed_or_nearly())


@settings(max_examples=400, deadline=None)
@given(manifest_bytes)
def test_one_parse_gives_the_facts_two_parses_gave(data: bytes) -> None:
    expected = (sealed_apart(data), held_apart(data)) if follows_the_format_apart(data) else (None, {})
    assert _manifest_facts(data) == expected


def test_a_memo_shares_the_parse_and_each_ledger_gets_its_own_dict() -> None:
    root = "/ledger"
    manifest = json.dumps({"sealed": True, "record_count": 0, "segments": [
        {"name": "segment-000001.log", "record_count": 0, "size_bytes": 0, "sealed": True}]}).encode()
    files = {f"{root}/2026-01-01/_manifest.json": manifest, f"{root}/2026-01-01/segment-000001.log": b""}
    memo = BytesMemo()
    first, second = parse_ledger(files, root, memo=memo), parse_ledger(files, root, memo=memo)
    assert first["2026-01-01"].held_segments == {"segment-000001.log": (0, 0)} == second["2026-01-01"].held_segments
    assert first["2026-01-01"].held_segments is not second["2026-01-01"].held_segments
    assert first["2026-01-01"].sealed is True and parse_ledger(files, root)["2026-01-01"].sealed is True


def test_a_manifest_whose_rotten_name_repeats_another_is_no_manifest() -> None:
    """`chaos` seed 309222: rot turned a sealed day's `segment-000003.log` into `segment-000001.log`."""
    names = ["segment-000001.log", "segment-000002.log", "segment-000001.log"]
    manifest = json.dumps({"sealed": True, "record_count": 3, "segments": [
        {"name": name, "record_count": 1, "size_bytes": 9, "sealed": True} for name in names]}).encode()
    assert _manifest_facts(manifest) == (None, {})
    assert _manifest_facts(manifest.replace(b'000001.log"', b'000003.log"', 2).replace(
        b'000003.log"', b'000001.log"', 1))[0] is True
