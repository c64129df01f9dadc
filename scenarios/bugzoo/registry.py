"""The registry of planted bugs and the context manager that plants one.

A planted bug swaps one function or method of the system for a realistic wrong
variant, for the duration of a `with planted(name):` block, and names the invariant
expected to catch it. The system's own code carries no bug switches: the patch is
applied from outside and always undone, even when the run raises.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from sim.errors import HarnessError

Patch = tuple[Any, str, Any]  # (owner object, attribute name, replacement)


@dataclass(frozen=True)
class PlantedBug:
    name: str
    description: str
    breaks: str
    invariant: str
    scenarios: tuple[str, ...]
    patches: Callable[[], list[Patch]]


class UnknownBugError(HarnessError, KeyError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown planted bug {self.name!r}; known bugs: {', '.join(self.known)} (see `omen-sim hunt --list`)"


BUGS: dict[str, PlantedBug] = {}


def register(bug: PlantedBug) -> PlantedBug:
    assert bug.name not in BUGS, f"planted bug {bug.name} registered twice"
    BUGS[bug.name] = bug
    return bug


def get_bug(name: str) -> PlantedBug:
    try:
        return BUGS[name]
    except KeyError:
        raise UnknownBugError(name, list(BUGS)) from None


_MISSING = object()


@contextmanager
def _patched(owner: Any, attribute: str, replacement: Any) -> Iterator[None]:
    original = owner.__dict__.get(attribute, _MISSING) if isinstance(owner, type) else getattr(owner, attribute)
    assert original is not _MISSING, f"{owner!r} has no attribute {attribute!r} of its own to patch"
    setattr(owner, attribute, replacement)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


@contextmanager
def planted(name: str) -> Iterator[PlantedBug]:
    """Plant the bug for the duration of the block; the clean system is restored afterwards."""
    bug = get_bug(name)
    with ExitStack() as stack:
        for owner, attribute, replacement in bug.patches():
            stack.enter_context(_patched(owner, attribute, replacement))
        yield bug
