#!/usr/bin/env python3
"""Developer entry point: bootstrap a private virtualenv, then run one job.

Why a script and not a Makefile: a fresh clone has only Python 3.11+, and the two
commands in the README must work there unchanged. The venv lives in `.venv/` and
is (re)installed only when `pyproject.toml` changed since the last install.

`test` with no arguments runs the whole suite in two passes. First everything but the tests that
start process clusters and kill them, on two pytest-xdist workers, a file per worker at a time
(`--dist loadfile`: a module's fixtures are built once, in one process), as `sweep` runs two
workers: that part is mostly single-threaded CPU work, and two cores halve it. Then the farm's and
the real twin's tests alone (`TESTS_RUN_ALONE`): they SIGKILL workers and processes and wait on
wall-clock heals, and once, beside another xdist worker on two cores, a killed Dask worker's run came
back as a harness error. With arguments, pytest runs exactly as given (add `-n 2` yourself).

    python3 dev.py sweep [omen-sim sweep args]   the main job: scenarios over seeds
    python3 dev.py test  [pytest args]           the test suite (what CI runs)
    python3 dev.py bench [pytest args]           the benchmarks, timed
    python3 dev.py sim ARGS...                   any omen-sim command
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"
TEST_WORKERS_DEFAULT = ["-n", "2", "--dist", "loadfile"]
TESTS_RUN_ALONE = ["tests/farm", "tests/real", "benchmarks/test_bench_farm.py", "benchmarks/test_bench_real_twin.py"]


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _ensure_venv() -> Path:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11+ is required; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    python = _venv_python()
    if not python.exists():
        print(f"dev.py: creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        print("dev.py: installing the project and its dev dependencies", file=sys.stderr)
        subprocess.check_call([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"])
        subprocess.check_call([str(python), "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"])
        STAMP.write_text(wanted)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"sweep", "test", "bench", "sim"}:
        print(__doc__, file=sys.stderr)
        return 2
    job, rest = argv[0], argv[1:]
    python = str(_ensure_venv())
    if job == "test":
        pytest = [python, "-m", "pytest", "-q", "--benchmark-disable"]
        if rest:
            return subprocess.call([*pytest, *rest], cwd=ROOT)
        ignored = [f"--ignore={path}" for path in TESTS_RUN_ALONE]
        parallel = subprocess.call([*pytest, *TEST_WORKERS_DEFAULT, *ignored], cwd=ROOT)
        alone = subprocess.call([*pytest, *TESTS_RUN_ALONE], cwd=ROOT)
        return parallel or alone
    elif job == "bench":
        command = [python, "-m", "pytest", "benchmarks", "--benchmark-only", *rest]
    elif job == "sweep":
        command = [python, "-m", "scenarios", "sweep", *(rest or ["--seeds", "200", "--workers", "2"])]
    else:
        command = [python, "-m", "scenarios", *rest]
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
