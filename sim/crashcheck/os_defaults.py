"""Point `fs=os` default arguments of the code under test at the fake `os`, for one run.

Storage code often takes its file system as a parameter that defaults to the `os` module
(`def __init__(self, root, *, fs=os)`). The default is bound when the function is defined,
so pyfakefs' patcher, which replaces the *names* `os` in modules, cannot reach it (its
`patch_default_args` covers default functions such as `opener=os.open`, not modules). Without
this, such code would write to the real disk during a run. For every function and method
defined in a project module (a module that is not in the standard library or in an installed
package), a default that *is* the real `os` (or `os.path`) is swapped for the fake one, and
swapped back when the run ends.
"""
from __future__ import annotations

import os
import sys
import sysconfig
from types import FunctionType, ModuleType
from typing import Any, Iterator

MODULES_MAX = 100_000
_SKIPPED_PREFIXES = tuple(sorted({
    os.path.realpath(path) + os.sep
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (path := sysconfig.get_paths().get(key))
}))
_OWN_PACKAGES = ("sim.crashcheck", "pyfakefs")

# (function, "__defaults__" | "__kwdefaults__", the original value)
Swap = tuple[FunctionType, str, Any]
# Held in a dict: while patched, pyfakefs rebinds every module attribute that is `os`, but
# not the values of a dict, so these stay the real modules.
_REAL = {"os": os, "path": os.path}


def _project_modules() -> list[ModuleType]:
    found = []
    for name, module in list(sys.modules.items())[:MODULES_MAX]:
        if module is None or name.startswith(_OWN_PACKAGES):
            continue
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or os.path.realpath(path).startswith(_SKIPPED_PREFIXES):
            continue
        found.append(module)
    return found


def _functions_of(module: ModuleType) -> Iterator[FunctionType]:
    for value in list(vars(module).values()):
        if isinstance(value, FunctionType) and value.__module__ == module.__name__:
            yield value
        elif isinstance(value, type) and value.__module__ == module.__name__:
            for member in list(vars(value).values()):
                member = getattr(member, "__func__", member)  # staticmethod, classmethod
                if isinstance(member, FunctionType):
                    yield member


def find_os_defaults() -> list[tuple[FunctionType, str]]:
    """(function, attribute) of every project function with a real-`os` default; call before patching."""
    real = {id(_REAL["os"]), id(_REAL["path"])}
    targets: list[tuple[FunctionType, str]] = []
    for module in _project_modules():
        for function in _functions_of(module):
            if function.__defaults__ and any(id(value) in real for value in function.__defaults__):
                targets.append((function, "__defaults__"))
            kwdefaults = function.__kwdefaults__
            if kwdefaults and any(id(value) in real for value in kwdefaults.values()):
                targets.append((function, "__kwdefaults__"))
    return targets


def point_defaults_at(targets: list[tuple[FunctionType, str]], fake_os: Any, fake_path: Any) -> list[Swap]:
    """Swap the real-`os` defaults of `targets` for `fake_os` / `fake_path`; returns what to undo."""
    replacement = {id(_REAL["os"]): fake_os, id(_REAL["path"]): fake_path}
    swaps: list[Swap] = []
    for function, attribute in targets:
        original = getattr(function, attribute)
        swaps.append((function, attribute, original))
        if attribute == "__defaults__":
            function.__defaults__ = tuple(replacement.get(id(value), value) for value in original)
        else:
            function.__kwdefaults__ = {key: replacement.get(id(value), value) for key, value in original.items()}
    return swaps


def restore(swaps: list[Swap]) -> None:
    for function, attribute, original in reversed(swaps):
        setattr(function, attribute, original)
