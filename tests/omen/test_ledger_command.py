"""Specification of `omen ledger verify` and `omen ledger salvage`: the operator's commands."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from omen import LedgerReader
from omen.cli import main
from omen.ledger.framing import HEADER_BYTES
from tests.omen.damage import PARTITION, flip_bit, frames_of, sealed_ledger, segment_path


def tree_digest(root: str) -> dict[str, tuple[int, str]]:
    found = {}
    for directory, _, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            found[os.path.relpath(path, root)] = (os.stat(path).st_mode, hashlib.sha256(Path(path).read_bytes()).hexdigest())
    return found


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_verify_passes_a_clean_ledger(root, clock, capsys):
    sealed_ledger(root, clock, records=5, per_segment=2)
    code, report = run_json(capsys, "ledger", "verify", root)
    assert code == 0 and report["ok"]
    assert report["partitions"] == [{"partition": PARTITION, "status": "ok", "records": 5}]


def test_verify_reports_the_damage_and_exactly_what_salvage_would_lose(root, clock, capsys):
    sealed_ledger(root, clock, records=6, per_segment=3)
    path = segment_path(root, 1)
    offset, payload = frames_of(path.read_bytes())[1]
    flip_bit(path, offset + HEADER_BYTES + 10)
    before = tree_digest(root)
    code, report = run_json(capsys, "ledger", "verify", root)
    assert code == 1 and not report["ok"]
    (item,) = report["partitions"]
    assert item["status"] == "damaged" and item["intact_records"] == 5
    assert item["losses"] == [{
        "partition": PARTITION, "segment": "segment-000001.log", "start_byte": offset,
        "end_byte": offset + HEADER_BYTES + len(payload), "sequence_first": 2, "sequence_last": 2,
        "reason": "frame fails its checks",
    }]
    assert tree_digest(root) == before, "verify never modifies the ledger"


def test_salvage_writes_a_ledger_of_the_intact_records_that_verify_passes(root, clock, capsys, tmp_path):
    placed = sealed_ledger(root, clock, records=6, per_segment=3)
    path = segment_path(root, 2)
    offset, _ = frames_of(path.read_bytes())[0]
    flip_bit(path, offset + HEADER_BYTES + 3)
    before = tree_digest(root)
    out = str(tmp_path / "salvaged")
    code, report = run_json(capsys, "ledger", "salvage", root, "--out", out)
    assert code == 1 and not report["ok"]  # a record was lost: the operator is told, not reassured
    (item,) = report["partitions"]
    assert [(loss["sequence_first"], loss["sequence_last"]) for loss in item["losses"]] == [(4, 4)]
    assert tree_digest(root) == before, "salvage never modifies the original"
    kept = [r.event for r in LedgerReader(out).read_partition(PARTITION)]
    assert kept == [p for i, p in enumerate(placed) if i != 3]
    assert LedgerReader(out).get_partition_info(PARTITION).is_sealed
    code, report = run_json(capsys, "ledger", "verify", out)
    assert code == 0 and report["ok"]


def test_salvage_of_a_clean_ledger_copies_it_whole(root, clock, capsys, tmp_path):
    placed = sealed_ledger(root, clock, records=4, per_segment=3, seal=False)
    out = str(tmp_path / "copy")
    assert main(["ledger", "salvage", root, "--out", out]) == 0
    assert [r.event for r in LedgerReader(out).read_partition(PARTITION)] == placed
    assert "4 intact records copied" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["inside", "not_empty"])
def test_salvage_refuses_an_output_inside_the_root_or_not_empty(root, clock, capsys, tmp_path, where):
    sealed_ledger(root, clock, records=2)
    out = os.path.join(root, "salvaged") if where == "inside" else str(tmp_path)
    before = tree_digest(root)
    assert main(["ledger", "salvage", root, "--out", out]) == 2
    assert "--out" in capsys.readouterr().err
    assert tree_digest(root) == before


def test_a_root_that_is_not_a_directory_is_bad_usage(tmp_path, capsys):
    assert main(["ledger", "verify", str(tmp_path / "absent")]) == 2
    assert "not a directory" in capsys.readouterr().err
