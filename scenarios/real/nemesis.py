"""The nemesis' schedule: which fault, on what, when, for how long, all drawn from the run's seed.

Kills and pauses are spread over the fault window in strata (one per slot of the window), so a
short run still kills and pauses every process a few times; proxy fault windows cycle through
every kind before repeating one. The schedule is a plain list: printed in the run's JSON, it says
exactly what the run did to the system. Executing it is the harness's job (`harness.py`).
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

from scenarios.real.proxy import FAULT_KINDS

FAMILIES = ("kill", "pause", "proxy")
PROCESS_NAMES = ("omen", "riskcast", "reconciler")
WINDOW_MARGIN_S = 2.0
KILL_EVERY_S = 8.0
PAUSE_EVERY_S = 10.0
PROXY_EVERY_S = 3.0
RESTART_DELAY_S = (0.2, 1.0)
PAUSE_S = (0.5, 2.0)
PROXY_WINDOW_S = (1.0, 2.5)
PROXY_PROBABILITY = (0.3, 0.7)
TORN_TAIL_PROBABILITY = 0.5
ACTIONS_MAX = 10_000


class NemesisSpecError(ValueError):
    """A bad `--nemesis` value."""


@dataclass(frozen=True)
class NemesisAction:
    at_s: float
    family: str  # kill | pause | proxy
    target: str  # a process name, or a proxy fault kind
    duration_s: float  # kill: delay before the restart; pause: how long; proxy: how long the kind is on
    probability: float = 1.0  # proxy: the chance each request in the window meets the fault
    torn_tail: bool = False  # kill of omen: tear the active segment's tail while it is down

    def to_json(self) -> dict[str, Any]:
        return {key: round(value, 3) if isinstance(value, float) else value for key, value in asdict(self).items()}


def parse_families(text: str) -> frozenset[str]:
    """`kill,pause,proxy` (any subset), or `none`."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["none"]:
        return frozenset()
    unknown = sorted(set(names) - set(FAMILIES))
    if unknown or not names:
        raise NemesisSpecError(f"--nemesis takes a comma list of {', '.join(FAMILIES)} (or none), got {text!r}")
    return frozenset(names)


def _strata(rng: random.Random, start_s: float, end_s: float, every_s: float) -> list[float]:
    count = max(1, round((end_s - start_s) / every_s))
    width_s = (end_s - start_s) / count
    return [start_s + width_s * (slot + rng.uniform(0.1, 0.9)) for slot in range(count)]


def plan(seed: int, seconds: float, families: frozenset[str]) -> list[NemesisAction]:
    """The actions of a run of `seconds`, sorted by time; empty if the run is too short for faults."""
    rng = random.Random(f"nemesis-{seed}")
    start_s, end_s = WINDOW_MARGIN_S, seconds - WINDOW_MARGIN_S
    if end_s - start_s < 1.0:
        return []
    actions: list[NemesisAction] = []
    for family in FAMILIES:  # defined order: the same seed gives the same schedule
        if family not in families:
            continue
        if family == "kill":
            for name in PROCESS_NAMES:
                for at_s in _strata(rng, start_s, end_s, KILL_EVERY_S):
                    actions.append(NemesisAction(at_s, "kill", name, rng.uniform(*RESTART_DELAY_S),
                                                 torn_tail=name == "omen" and rng.random() < TORN_TAIL_PROBABILITY))
        elif family == "pause":
            for name in PROCESS_NAMES:
                for at_s in _strata(rng, start_s, end_s, PAUSE_EVERY_S):
                    actions.append(NemesisAction(at_s, "pause", name, rng.uniform(*PAUSE_S)))
        else:
            kinds: list[str] = []
            for at_s in _strata(rng, start_s, end_s, PROXY_EVERY_S):
                if not kinds:
                    kinds = list(FAULT_KINDS)
                    rng.shuffle(kinds)
                actions.append(NemesisAction(at_s, "proxy", kinds.pop(), rng.uniform(*PROXY_WINDOW_S),
                                             probability=rng.uniform(*PROXY_PROBABILITY)))
    assert len(actions) <= ACTIONS_MAX, len(actions)
    return sorted(actions, key=lambda action: (action.at_s, action.family, action.target))
