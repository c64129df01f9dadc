"""The real twin's figures: end-to-end signals per second through real processes, and how long each
process takes from a SIGKILL to doing its job again.

- `omen run` over an input file against a served RiskCast on loopback, per-record fsync and group
  commit; the process's start-up (an empty input) is measured in the same test and subtracted, so
  the figure is the pipeline's steady rate (ledger write + fsync + HTTP push + SQLite commit);
- kill-to-recovered, per process, restarted at once: OMEN until its first emit after the restart
  returned (its ledger recovery runs on that first write), RiskCast until /healthz answers (the
  database is opened, WAL recovered, before it serves), the reconciler until its first pass ended.
"""
from __future__ import annotations

import asyncio
import json
import signal
import statistics
import subprocess
import time
from pathlib import Path

import httpx

from benchmarks.conftest import best_of, record, timed
from scenarios.real.harness import Harness, HarnessConfig, free_port, input_line
from scenarios.real.processes import child_env, launcher_argv
from scenarios.real.run import RealRunConfig, clock_offset_s, planned_signals

READY_ATTEMPTS_MAX = 600
GROUP_COMMIT_BATCH = 32


def _serve(tmp_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        launcher_argv("riskcast", ["serve", "--db", str(tmp_path / "riskcast.db"), "--ledger",
                                   str(tmp_path / "ledger"), "--port", str(port)], None),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env())
    url = f"http://127.0.0.1:{port}"
    for _ in range(READY_ATTEMPTS_MAX):
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("riskcast serve did not become ready")


def _input_file(tmp_path: Path, count: int, tag: str) -> Path:
    path = tmp_path / f"input-{tag}.jsonl"
    path.write_text("".join(
        json.dumps({"event_id": f"bench-{tag}-{n}", "input_event": {"n": n}, "category": "weather"}) + "\n"
        for n in range(count)), encoding="utf-8")
    return path


def _omen_run(url: str, ledger: Path, input_path: Path, group_commit: int) -> int:
    completed = subprocess.run(
        launcher_argv("omen", ["run", "--ledger", str(ledger), "--riskcast", url, "--input", str(input_path),
                               "--group-commit", str(group_commit), "--in-flight-max", "64"], None),
        capture_output=True, timeout=600, env=child_env())
    assert completed.returncode == 0, completed.stderr[-2000:]
    summary = json.loads(completed.stdout.splitlines()[-1])
    return sum(summary["emits"].values())


def test_real_end_to_end_signals_per_second(benchmark, full, tmp_path):
    count = 1_000 if full else 20
    server, url = _serve(tmp_path)
    try:
        ledger = tmp_path / "ledger"
        empty = _input_file(tmp_path, 0, "empty")
        startup_s = best_of(lambda: _omen_run(url, ledger, empty, 0), 3 if full else 1)
        tags = iter(range(1_000))
        per_record_s = best_of(lambda: _omen_run(url, ledger, _input_file(tmp_path, count, f"p{next(tags)}"), 0),
                               2 if full else 1)
        inputs = [_input_file(tmp_path, count, f"g{n}") for n in range(4)]
        group_s, emitted = timed(benchmark, lambda: _omen_run(url, ledger, inputs.pop(), GROUP_COMMIT_BATCH),
                                 rounds=3 if full else 1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert emitted == count
    per_record_rate = count / max(per_record_s - startup_s, 1e-3)
    group_rate = count / max(group_s - startup_s, 1e-3)
    record(benchmark, "real end-to-end, per-record fsync", per_record_rate, unit="signals/s")
    record(benchmark, f"real end-to-end, group commit {GROUP_COMMIT_BATCH}", group_rate, unit="signals/s")
    record(benchmark, "real end-to-end, group commit / per-record", group_rate / per_record_rate)
    record(benchmark, "omen run start-up (empty input)", startup_s, unit="s")


async def _recoveries(run_dir: Path, rounds: int) -> dict[str, list[float]]:
    harness = Harness(HarnessConfig(run_dir=run_dir, seed=0, bug=None, group_commit=0,
                                    clock_offset_s=clock_offset_s(3600.0)))
    planned = iter(planned_signals(RealRunConfig(seconds=60.0, rate_per_s=20.0)))
    found: dict[str, list[float]] = {"omen": [], "riskcast": [], "reconciler": []}
    try:
        await harness.start_all()
        for _ in range(rounds):
            for name in found:
                process = harness.processes[name]
                started = time.perf_counter()
                await harness.kill(name)
                await harness.restart(name)
                assert await process.wait_ready(120.0), f"{name} did not come back"
                if name == "omen":
                    before = len(harness.history.of_kind("emit.result"))
                    assert await process.write_line(input_line(next(planned)), 5.0)
                    for _ in range(2_400):
                        if len(harness.history.of_kind("emit.result")) > before:
                            break
                        await asyncio.sleep(0.025)
                elif name == "reconciler":
                    while not harness.passes.empty():
                        harness.passes.get_nowait()
                    await asyncio.wait_for(harness.passes.get(), 120.0)
                found[name].append(time.perf_counter() - started)
    finally:
        await harness.stop_all()
        harness.history.close()
    return found


def test_real_kill_to_recovered_per_process(benchmark, full, tmp_path):
    rounds = 3 if full else 1
    _, found = timed(benchmark, lambda: asyncio.run(_recoveries(tmp_path / "run", rounds)), rounds=1)
    for name, seconds in found.items():
        assert len(seconds) == rounds
        record(benchmark, f"kill-to-recovered, {name} (median of {rounds})", statistics.median(seconds), unit="s")
