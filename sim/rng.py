"""Seeded random streams: one root seed, one independent `random.Random` per component.

WHY named streams and not one shared generator: if the workload, the network and the
scheduler all drew from one generator, a single extra draw in the network (say, a new
fault kind) would shift every later workload value, and a failing seed would stop
reproducing after an unrelated change. Deriving each stream from (root seed, name) by a
cryptographic hash keeps the streams independent: draws in one never move another.
"""
from __future__ import annotations

import _random
import hashlib
import random

__all__ = ["SeededStreams", "derive_seed"]

STREAM_NAME_LENGTH_MAX = 200
_new_random = random.Random.__new__
_seed_state = _random.Random.seed  # the C seeding that `Random.seed` hands an int to


def derive_seed(seed: int, name: str) -> int:
    """The integer seed of stream `name` under root `seed`: sha256(f"{seed}/{name}") as a big int.

    Stable across processes, machines and PYTHONHASHSEED (it never touches `hash()`).
    """
    digest = hashlib.sha256(f"{seed}/{name}".encode("utf-8")).digest()
    return int.from_bytes(digest, "big")


class SeededStreams:
    """A family of independent, reproducible random streams under one root seed."""

    __slots__ = ("seed", "_streams")

    def __init__(self, seed: int) -> None:
        if type(seed) is not int:
            raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}; pass e.g. 42")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}; pass a non-negative integer")
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def stream(self, name: str) -> random.Random:
        """The stream for component `name` (the same object on every call with that name)."""
        found = self._streams.get(name)
        if found is not None:
            return found
        if type(name) is not str or not name:
            raise TypeError(f"stream name must be a non-empty str, got {name!r}")
        if len(name) > STREAM_NAME_LENGTH_MAX:
            raise ValueError(f"stream name is {len(name)} chars; keep it <= {STREAM_NAME_LENGTH_MAX}")
        # `random.Random(derive_seed(self.seed, name))`: for an int, `Random.__init__` and `Random.seed`
        # only check its type, hand it to the C seeding and set `gauss_next`; done here directly, one
        # Python frame and its checks less per stream (a test holds state and attributes equal)
        created = _new_random(random.Random)
        _seed_state(created, derive_seed(self.seed, name))
        created.gauss_next = None
        self._streams[name] = created
        return created

    def seed_for(self, name: str) -> int:
        """The derived integer seed of `name`, for a component that wants its own SeededStreams."""
        if type(name) is not str or not name:
            raise TypeError(f"stream name must be a non-empty str, got {name!r}")
        return derive_seed(self.seed, name)

    @property
    def names(self) -> list[str]:
        """Names of the streams created so far, in creation order."""
        return list(self._streams)

    def __repr__(self) -> str:
        return f"SeededStreams(seed={self.seed})"
