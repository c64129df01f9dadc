"""`omen-sim sweep/hunt --dask`: against a running scheduler, with usage errors before any cluster starts."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.farm.arguments import DaskTarget, DaskTargetError, parse_dask_target
from scenarios.hunt import hunt_bug

ROOT = Path(__file__).resolve().parents[2]
CLIENT_POLLS_MAX = 1200  # 60 s for the killed client to journal its first results


def test_dask_targets_parse() -> None:
    assert parse_dask_target("local", default_local_workers=3) == DaskTarget(local_workers=3)
    assert parse_dask_target("local:2", default_local_workers=3) == DaskTarget(local_workers=2)
    assert parse_dask_target("tcp://10.0.0.5:8786", default_local_workers=3) == DaskTarget(
        address="tcp://10.0.0.5:8786")
    for bad in ("", "local:0", "local:x", "local:100000"):
        with pytest.raises(DaskTargetError):
            parse_dask_target(bad, default_local_workers=3)


@pytest.mark.parametrize(("argv", "message"), [
    (["sweep", "--seeds", "2", "--dask", "local:0"], "local:N must be 1.."),
    (["sweep", "--seeds", "2", "--dask", "local:2", "--runs-per-worker", "0"], "runs in flight per worker"),
    (["sweep", "--seeds", "2", "--dask", "local:2", "--run-budget-s", "0"], "budget per run must be positive"),
    (["sweep", "--seeds", "2", "--dask", "local:2", "--scenario", "nope"], "nope"),
    (["sweep", "--resume", "absent.jsonl"], "add --dask"),
    (["sweep", "--resume", "absent.jsonl", "--dask", "local:2"], "cannot read journal"),
    (["hunt", "--bug", "nope", "--dask", "local:2"], "nope"),
])
def test_bad_farm_usage_exits_2_with_a_message(argv: list[str], message: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_sweep_against_a_scheduler_address_reports_as_the_local_sweep(farm_client, farm_cluster,
                                                                      tmp_path: Path) -> None:
    local_out, farm_out, journal = tmp_path / "local.json", tmp_path / "farm.json", tmp_path / "journal.jsonl"
    sweep_args = ["sweep", "--scenario", "calm", "--scenario", "hot_path_drops", "--seeds", "2", "--base-seed", "0",
                  "--repro-dir", str(tmp_path / "repros")]
    assert main([*sweep_args, "--json", str(local_out)]) == 0
    assert main([*sweep_args, "--json", str(farm_out), "--journal", str(journal),
                 "--dask", farm_cluster.scheduler_address]) == 0
    documents = [json.loads(path.read_text()) for path in (local_out, farm_out)]
    for document in documents:
        document.pop("wall_seconds")
    assert documents[0]["runs"] == 4 and documents[0] == documents[1]
    assert len(journal.read_text().splitlines()) == 1 + 4


def test_hunt_against_a_scheduler_address_names_the_local_hunts_seed(farm_client, farm_cluster,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "hunt.json"
    assert main(["hunt", "--bug", "push_after_failed_write", "--max-seeds", "20", "--json", str(out),
                 "--repro-dir", str(tmp_path / "repros"), "--dask", farm_cluster.scheduler_address]) == 0
    [farmed] = json.loads(out.read_text())["bugs"]
    local = hunt_bug("push_after_failed_write", max_seeds=20)
    assert farmed["caught"] and local.caught
    assert (farmed["seed"], farmed["scenario"], farmed["invariant"], farmed["seeds_tried"], farmed["runs"]) == (
        local.seed, local.scenario, local.invariant, local.seeds_tried, local.runs)
    assert Path(farmed["repro"]).is_file()


def test_a_plain_sweep_imports_no_dask(tmp_path: Path) -> None:
    program = (
        "import sys\n"
        "from scenarios.cli import main\n"
        f"code = main(['sweep', '--scenario', 'calm', '--seeds', '1', '--repro-dir', {str(tmp_path)!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print(code, loaded)\n"
    )
    completed = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True,
                               timeout=120, check=True)
    assert completed.stdout.split("\n")[-2] == "0 []", completed.stdout + completed.stderr


def test_a_client_killed_mid_sweep_leaves_a_journal_that_resume_finishes(farm_client, farm_cluster,
                                                                          tmp_path: Path) -> None:
    journal, local_out, resumed_out = tmp_path / "journal.jsonl", tmp_path / "local.json", tmp_path / "resumed.json"
    sweep_args = ["sweep", "--scenario", "calm", "--seeds", "6", "--base-seed", "0",
                  "--repro-dir", str(tmp_path / "repros")]
    client = subprocess.Popen(
        [sys.executable, "-m", "scenarios", *sweep_args, "--dask", farm_cluster.scheduler_address,
         "--runs-per-worker", "1", "--journal", str(journal)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(CLIENT_POLLS_MAX):
            if journal.exists() and len(journal.read_text().splitlines()) >= 3:  # header and two results
                break
            time.sleep(0.05)
        client.send_signal(signal.SIGKILL)
    finally:
        client.wait(timeout=60)
    finished = len(journal.read_text().splitlines()) - 1
    assert 2 <= finished < 6, f"the client was not killed mid-sweep ({finished} of 6 results journaled)"
    assert main([*sweep_args, "--json", str(local_out)]) == 0
    assert main(["sweep", "--resume", str(journal), "--dask", farm_cluster.scheduler_address,
                 "--json", str(resumed_out)]) == 0
    documents = [json.loads(path.read_text()) for path in (local_out, resumed_out)]
    for document in documents:
        document.pop("wall_seconds")
    assert documents[0]["runs"] == 6 and documents[0] == documents[1]
