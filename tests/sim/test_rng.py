"""Seeded streams: independent per component, reproducible from (seed, name)."""
from __future__ import annotations

import hashlib
import random

import pytest

from sim.rng import SeededStreams, derive_seed


def test_the_same_seed_and_name_give_the_same_draws() -> None:
    a, b = SeededStreams(7).stream("network"), SeededStreams(7).stream("network")
    assert a is not b
    assert [a.random() for _ in range(5)] == [b.random() for _ in range(5)]


def test_a_stream_is_seeded_from_the_sha256_of_seed_slash_name() -> None:
    expected = random.Random(int.from_bytes(hashlib.sha256(b"42/workload").digest(), "big"))
    assert SeededStreams(42).stream("workload").random() == expected.random()
    assert derive_seed(42, "workload") == int.from_bytes(hashlib.sha256(b"42/workload").digest(), "big")


def test_extra_draws_in_one_stream_never_shift_another() -> None:
    quiet = SeededStreams(5)
    busy = SeededStreams(5)
    for _ in range(1000):
        busy.stream("network").random()
    assert [quiet.stream("workload").random() for _ in range(10)] == [
        busy.stream("workload").random() for _ in range(10)
    ]


def test_streams_are_cached_per_name() -> None:
    streams = SeededStreams(1)
    assert streams.stream("disk") is streams.stream("disk")
    assert streams.names == ["disk"]


def test_different_names_and_different_seeds_give_different_draws() -> None:
    streams = SeededStreams(1)
    assert streams.stream("disk").random() != streams.stream("network").random()
    assert SeededStreams(1).stream("disk").random() != SeededStreams(2).stream("disk").random()


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, None])
def test_a_bad_seed_is_refused_with_a_typed_error(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        SeededStreams(bad)  # type: ignore[arg-type]


def test_a_bad_stream_name_is_refused() -> None:
    with pytest.raises(TypeError):
        SeededStreams(1).stream("")
    with pytest.raises(TypeError):
        SeededStreams(1).stream(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [0, 1, 7, 2**31, 10**30])
def test_a_stream_is_exactly_what_random_random_of_its_derived_seed_builds(seed: int) -> None:
    streams = SeededStreams(seed)
    for name in ("scheduler", "network", "disk", "a" * 200):
        built = streams.stream(name)
        reference = random.Random(derive_seed(seed, name))
        assert type(built) is random.Random
        assert vars(built) == vars(reference)
        assert built.getstate() == reference.getstate()
        assert [built.random() for _ in range(3)] == [reference.random() for _ in range(3)]
        assert built.gauss(0.0, 1.0) == reference.gauss(0.0, 1.0)
        assert built.getstate() == reference.getstate()
