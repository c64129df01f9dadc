"""A fresh base seed for a sweep that named none, and the command that reruns exactly it.

WHY: a sweep over fixed seeds only ever re-walks ground already cleared. Like Hypothesis and
pytest-randomly, `omen-sim sweep` without a seed option explores: it draws its base seed from the
operating system's entropy here, in the command line only (never inside a simulated run: each run
still depends on its own seed alone), and prints the seed and the command that replays the same
runs. CI passes `--base-seed` so it never fails on ground a change did not touch.
"""
from __future__ import annotations

import secrets
import shlex

BASE_SEED_MAX = 2**32  # drawn seeds lie in [0, 2**32): plenty of unexplored ground, short to type


def draw_base_seed() -> int:
    return secrets.randbelow(BASE_SEED_MAX)


def rerun_command(*, seeds: int, base_seed: int, scenarios: list[str] | None, bug: str | None,
                  workers: int) -> str:
    """The `omen-sim sweep` command line that runs exactly the same (scenario, seed) jobs again."""
    words = ["omen-sim", "sweep", "--seeds", str(seeds), "--base-seed", str(base_seed), "--workers", str(workers)]
    if scenarios:
        words += ["--scenario", *scenarios]
    if bug is not None:
        words += ["--bug", bug]
    return shlex.join(words)
