"""A planted bug replaces a function with one that takes every argument the original takes.

WHY: when the system's function gains a parameter and its planted twin does not, the bug's run
dies of a TypeError instead of misbehaving as planted. The zoo still "catches" it, through the
crash, so the hunt's count alone would not notice that the bug it names is no longer planted.
"""
from __future__ import annotations

import inspect

import pytest

from scenarios.bugzoo.registry import BUGS

P = inspect.Parameter
POSITIONAL = (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)


def _function_patches() -> list[tuple[str, str, object, object]]:
    out = []
    for name, bug in sorted(BUGS.items()):
        for owner, attribute, replacement, *_ in bug.patches():
            original = inspect.getattr_static(owner, attribute)
            if inspect.isfunction(original) and inspect.isfunction(replacement):
                out.append((name, attribute, original, replacement))
    return out


def _refused(original: object, replacement: object) -> list[str]:
    """The original's parameters the replacement cannot take (by name and kind, or through *args/**kwargs)."""
    taken = inspect.signature(replacement).parameters
    kinds = {parameter.kind for parameter in taken.values()}
    refused = []
    for parameter in inspect.signature(original).parameters.values():
        twin = taken.get(parameter.name)
        if twin is not None and (twin.kind == parameter.kind or {twin.kind, parameter.kind} <= {*POSITIONAL}):
            continue
        if parameter.kind in POSITIONAL and P.VAR_POSITIONAL in kinds:
            continue
        if parameter.kind in (P.KEYWORD_ONLY, P.POSITIONAL_OR_KEYWORD) and P.VAR_KEYWORD in kinds:
            continue
        if parameter.kind is P.VAR_POSITIONAL and P.VAR_POSITIONAL in kinds or parameter.kind is P.VAR_KEYWORD and P.VAR_KEYWORD in kinds:
            continue
        refused.append(parameter.name)
    return refused


def test_the_zoo_patches_functions() -> None:
    assert len(_function_patches()) >= 20  # the check below covers the zoo, not an empty list


@pytest.mark.parametrize("bug, attribute, original, replacement", _function_patches(),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_a_planted_function_takes_every_argument_of_the_one_it_replaces(bug, attribute, original, replacement) -> None:
    assert _refused(original, replacement) == [], (
        f"planted bug {bug}: its {attribute} does not take {_refused(original, replacement)} of the original's "
        f"parameters; give it the original's signature (or forward **kwargs)")
