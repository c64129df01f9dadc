"""Nothing ambient (docs/architecture.md, "The dependency rule"). A simulated run may not read the wall clock, draw from
`random`'s module-level generator, mint uuid1/uuid4, read os.urandom or `secrets`, or start
threads, processes or subprocesses: each would make a seed stop replaying.

Checked statically (AST) over sim/, faults/, scenarios/ and system/, except the files below.
To allow a new real adapter, add it to REAL_ADAPTER_FILES; to allow one kind of thing in one
file, add it to FILE_ALLOWANCES with a reason.
"""
from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

# system/ files that talk to the real world (they never run inside a simulation): exempt.
REAL_ADAPTER_FILES: frozenset[str] = frozenset({
    "system/omen/clock.py",
    "system/omen/transport.py",
    "system/riskcast/sql_thread.py",
    "system/riskcast/app.py",
    "system/riskcast/cli.py",
    "system/riskcast/real_ids.py",
    "system/riskcast/http_transport.py",
})

# file -> categories it may use, and why.
FILE_ALLOWANCES: dict[str, frozenset[str]] = {
    "scenarios/cli.py": frozenset({"wall_clock", "process_pool"}),  # reports wall seconds; parallel seeds
    "scenarios/sweep.py": frozenset({"wall_clock", "process_pool"}),  # same
    "sim/determinism.py": frozenset({"subprocess"}),  # runs a seed in fresh interpreters
    # Harness code outside any simulated run:
    "scenarios/hunt.py": frozenset({"wall_clock", "process_pool"}),  # wall seconds to detection; parallel trials
    "scenarios/repro.py": frozenset({"subprocess"}),  # asks git for the commit a repro names
    "scenarios/ledger_fuzz.py": frozenset({"wall_clock"}),  # reports variants per wall second
    "scenarios/base_seed.py": frozenset({"secrets"}),  # a sweep's fresh base seed, drawn in the CLI only
    # The seed farm: harness code on the client and around each run on a worker, never inside one.
    "scenarios/farm/task.py": frozenset({"wall_clock"}),  # a run's wall seconds, against its budget
    "scenarios/farm/engine.py": frozenset({"wall_clock"}),  # how long the cluster has had no worker
    "scenarios/farm/sweep_farm.py": frozenset({"wall_clock"}),  # reports wall seconds
    "scenarios/farm/hunter.py": frozenset({"wall_clock"}),  # reports wall seconds to detection
    # the real twin runs real processes on the wall clock, outside any simulated run:
    "scenarios/real/history.py": frozenset({"wall_clock"}),  # wall seconds of each observation
    "scenarios/real/harness.py": frozenset({"wall_clock"}),  # OMEN's shifted clock, as the harness reckons it
    "scenarios/real/run.py": frozenset({"wall_clock"}),  # where midnight is; wall seconds of the run
}

# files whose name matches: may read time.perf_counter (and only that) to measure themselves.
BENCH_FILE_PATTERN = "*bench*"
BENCH_ALLOWED_NAMES: frozenset[str] = frozenset({"time.perf_counter", "time.perf_counter_ns"})

SCANNED_FOLDERS = ("sim", "faults", "scenarios", "system")
ROOT = Path(__file__).resolve().parents[2]

# Fully qualified names -> category. A name is flagged when used (called or referenced) or imported.
FORBIDDEN_NAMES: dict[str, str] = {
    **{f"time.{name}": "wall_clock" for name in (
        "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
        "process_time", "process_time_ns", "thread_time", "thread_time_ns", "clock_gettime",
        "clock_gettime_ns", "localtime", "gmtime", "ctime", "asctime", "sleep",
    )},
    "datetime.datetime.now": "wall_clock",
    "datetime.datetime.utcnow": "wall_clock",
    "datetime.datetime.today": "wall_clock",
    "datetime.date.today": "wall_clock",
    "uuid.uuid1": "uuid",
    "uuid.uuid4": "uuid",
    "os.urandom": "os_random",
    "os.getrandom": "os_random",
    "random.SystemRandom": "random_global",
    "asyncio.to_thread": "threads",
    "concurrent.futures.ThreadPoolExecutor": "threads",
    "concurrent.futures.thread": "threads",
    "concurrent.futures.ProcessPoolExecutor": "process_pool",
    "concurrent.futures.process": "process_pool",
}
# Whole modules: importing them at all is flagged.
FORBIDDEN_MODULES: dict[str, str] = {
    "secrets": "secrets",
    "threading": "threads",
    "_thread": "threads",
    "multiprocessing": "process_pool",
    "subprocess": "subprocess",
}
# `random.X` is flagged for every X but these (a seeded instance is the way).
RANDOM_ALLOWED_ATTRIBUTES: frozenset[str] = frozenset({"Random"})
# Method names flagged on any object (a loop's executor runs on threads).
FORBIDDEN_METHODS: dict[str, str] = {"run_in_executor": "threads"}


def offences_in_source(source: str, *, filename: str = "<source>", allowed: frozenset[str] = frozenset(),
                       allowed_names: frozenset[str] = frozenset()) -> list[str]:
    """Every ambient-nondeterminism use in `source`, as 'line: what (category)'."""
    tree = ast.parse(source, filename=filename)
    aliases: dict[str, str] = {}
    found: list[tuple[int, str, str]] = []

    def flag(lineno: int, name: str, category: str) -> None:
        if category not in allowed and name not in allowed_names:
            found.append((lineno, name, category))

    def check_qualified(lineno: int, qualified: str) -> None:
        top = qualified.split(".")[0]
        for module, category in FORBIDDEN_MODULES.items():
            if qualified == module or qualified.startswith(module + "."):
                flag(lineno, qualified, category)
                return
        for name, category in FORBIDDEN_NAMES.items():
            if qualified == name or qualified.startswith(name + "."):
                flag(lineno, qualified, category)
                return
        if top == "random" and "." in qualified:
            attribute = qualified.split(".")[1]
            if attribute not in RANDOM_ALLOWED_ATTRIBUTES:
                flag(lineno, qualified, "random_global")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[(alias.asname or alias.name).split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
                check_qualified(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            check_qualified(node.lineno, node.module) if node.module in FORBIDDEN_MODULES else None
            for alias in node.names:
                qualified = f"{node.module}.{alias.name}"
                aliases[alias.asname or alias.name] = qualified
                if node.module not in FORBIDDEN_MODULES:
                    check_qualified(node.lineno, qualified)

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_METHODS:
            flag(node.lineno, f".{node.attr}", FORBIDDEN_METHODS[node.attr])
        if isinstance(node, ast.Call):
            qualified = _qualified_name(node.func, aliases)
            if qualified == "random.Random" and not node.args and not node.keywords:
                flag(node.lineno, "random.Random() without a seed", "random_global")
        if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(node.ctx, ast.Load):
            qualified = _qualified_name(node, aliases)
            if qualified is not None and "." in qualified:
                check_qualified(node.lineno, qualified)

    unique = sorted(set(found))
    return [f"{lineno}: {name} ({category})" for lineno, name, category in unique]


def _qualified_name(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """'a.b.c' for an attribute chain rooted at an imported name, with import aliases resolved."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    parts.append(aliases[node.id])
    return ".".join(reversed(parts))


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for folder in SCANNED_FOLDERS:
        files.extend(sorted((ROOT / folder).rglob("*.py")))
    return [path for path in files if path.relative_to(ROOT).as_posix() not in REAL_ADAPTER_FILES]


def test_no_simulated_code_reaches_for_ambient_nondeterminism() -> None:
    offences: list[str] = []
    for path in scanned_files():
        relative = path.relative_to(ROOT).as_posix()
        allowed_names = BENCH_ALLOWED_NAMES if fnmatch.fnmatch(path.name, BENCH_FILE_PATTERN) else frozenset()
        for offence in offences_in_source(path.read_text(encoding="utf-8"), filename=relative,
                                          allowed=FILE_ALLOWANCES.get(relative, frozenset()),
                                          allowed_names=allowed_names):
            offences.append(f"{relative}:{offence}")
    assert not offences, (
        "ambient nondeterminism in simulated code (take the clock, ids and randomness from the "
        "ports and seeded streams you are given; see docs/architecture.md):\n" + "\n".join(offences)
    )


def test_the_allow_lists_name_files_that_exist_or_are_still_to_come() -> None:
    # Every allowance names a file under a scanned folder: a typo would silently allow nothing.
    for relative in [*REAL_ADAPTER_FILES, *FILE_ALLOWANCES]:
        assert relative.split("/")[0] in SCANNED_FOLDERS and relative.endswith(".py"), relative


@pytest.mark.parametrize("source, category", [
    ("import time\ntime.time()", "wall_clock"),
    ("import time as t\nt.monotonic()", "wall_clock"),
    ("from time import perf_counter\nperf_counter()", "wall_clock"),
    ("import time\nawait_this = time.sleep", "wall_clock"),
    ("from datetime import datetime\ndatetime.now()", "wall_clock"),
    ("import datetime\ndatetime.datetime.utcnow()", "wall_clock"),
    ("from datetime import date\ndate.today()", "wall_clock"),
    ("import random\nrandom.random()", "random_global"),
    ("import random\nrandom.shuffle([1])", "random_global"),
    ("from random import randint\nrandint(1, 2)", "random_global"),
    ("import random\nrandom.Random()", "random_global"),
    ("from random import Random\nRandom()", "random_global"),
    ("import random\nrandom.SystemRandom(1)", "random_global"),
    ("import uuid\nuuid.uuid4()", "uuid"),
    ("from uuid import uuid1\nuuid1()", "uuid"),
    ("import os\nos.urandom(8)", "os_random"),
    ("import secrets", "secrets"),
    ("from secrets import token_hex", "secrets"),
    ("import threading", "threads"),
    ("import asyncio\nasyncio.to_thread(print)", "threads"),
    ("from concurrent.futures import ThreadPoolExecutor", "threads"),
    ("loop.run_in_executor(None, print)", "threads"),
    ("import multiprocessing", "process_pool"),
    ("import subprocess", "subprocess"),
])
def test_the_checker_flags_each_kind_of_ambient_nondeterminism(source: str, category: str) -> None:
    offences = offences_in_source(source)
    assert offences and all(f"({category})" in offence for offence in offences), offences


@pytest.mark.parametrize("source", [
    "import random\nrng = random.Random(42)\nrng.random()",
    "from random import Random\nRandom(seed)",
    "import uuid\nuuid.uuid5(uuid.NAMESPACE_URL, 'x')",
    "from datetime import datetime, timezone\ndatetime(2026, 1, 1, tzinfo=timezone.utc)",
    "import asyncio\nasyncio.get_running_loop().time()",
    "import asyncio\nawait asyncio.sleep(1)",
    "import os\nos.fsync(3)",
    "import time\ntime.strftime('%Y', parts)",
    "clock.now()",
])
def test_the_checker_accepts_deterministic_code(source: str) -> None:
    assert offences_in_source(source) == []


def test_a_file_allowance_lifts_only_its_own_category() -> None:
    source = "import time\nimport threading\ntime.perf_counter()"
    assert offences_in_source(source, allowed=frozenset({"wall_clock"})) == ["2: threading (threads)"]


def test_bench_files_may_read_perf_counter_and_nothing_else() -> None:
    source = "import time\ntime.perf_counter()\ntime.time()"
    offences = offences_in_source(source, allowed_names=BENCH_ALLOWED_NAMES)
    assert offences == ["3: time.time (wall_clock)"]
