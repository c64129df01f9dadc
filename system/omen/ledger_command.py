"""`omen ledger verify ROOT` and `omen ledger salvage ROOT --out DIR`: the operator's view of a ledger.

verify reads every partition strictly (every CRC, manifest count, sequence order, and every record
validated); for a damaged one it also runs salvage to say exactly what is lost. salvage writes the
intact records of every partition to a NEW ledger under DIR (same partitions, segment names,
sequences and frames; manifests recomputed), which verify then passes, and reports the loss. Neither
ever modifies ROOT: both only read it, and salvage refuses a DIR inside ROOT or a DIR that is not empty.

Exit codes: 0 nothing damaged (verify) / nothing lost (salvage), 1 damage found / records lost,
2 bad usage (ROOT is not a directory, DIR unusable).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from omen.clock import SystemClock
from omen.ledger.errors import LedgerCorruptionError
from omen.ledger.framing import encode_frame
from omen.ledger.fs_ops import fsync_dir, replace_atomically, write_all
from omen.ledger.layout import CURRENT_NAME, FILE_MODE_NEW, MANIFEST_NAME, SEGMENT_MODE_SEALED
from omen.ledger.manifest import Manifest, SegmentEntry
from omen.ledger.reader import LedgerReader
from omen.ledger.salvage import SalvageResult
from omen.schema import is_late_partition

EXIT_OK = 0
EXIT_DAMAGED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line: the message says what to do."""


def add_parser(commands: Any) -> None:
    ledger = commands.add_parser("ledger", help="verify or salvage a ledger root")
    actions = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="read every partition strictly; report damage and what salvage would lose")
    verify.add_argument("root", help="the ledger root (read only)")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(handler=_run_verify)
    salvage = actions.add_parser("salvage", help="copy every intact record to a new ledger under --out; report the loss")
    salvage.add_argument("root", help="the damaged ledger root (read only, never modified)")
    salvage.add_argument("--out", required=True, help="a new or empty directory outside ROOT for the salvaged ledger")
    salvage.add_argument("--json", action="store_true", help="print the report as JSON")
    salvage.set_defaults(handler=_run_salvage)


def _run_verify(args: argparse.Namespace) -> int:
    try:
        report = verify(args.root)
    except UsageError as error:
        return _usage(error)
    _emit(report, args.json, _verify_lines)
    return EXIT_OK if report["ok"] else EXIT_DAMAGED


def _run_salvage(args: argparse.Namespace) -> int:
    try:
        report = salvage(args.root, args.out)
    except UsageError as error:
        return _usage(error)
    _emit(report, args.json, _salvage_lines)
    return EXIT_OK if report["ok"] else EXIT_DAMAGED


def verify(root: str) -> dict[str, Any]:
    """Per partition: "ok" with its record count, or "damaged" with the strict error and salvage's loss."""
    reader = _reader(root)
    partitions = []
    for name in reader.list_partitions():
        try:
            count = sum(1 for _ in reader.read_partition(name))
        except LedgerCorruptionError as error:
            result = reader.salvage_partition(name)
            partitions.append({"partition": name, "status": "damaged", "error": str(error),
                               **_salvage_summary(result)})
            continue
        partitions.append({"partition": name, "status": "ok", "records": count})
    return {"root": root, "ok": all(p["status"] == "ok" for p in partitions), "partitions": partitions}


def salvage(root: str, out: str) -> dict[str, Any]:
    """Write every partition's intact records to a new ledger under `out`; report what was lost."""
    reader = _reader(root)
    _require_fresh_output(root, out)
    os.makedirs(out, exist_ok=True)
    partitions = []
    for name in reader.list_partitions():
        result = reader.salvage_partition(name)
        _write_partition(out, result)
        partitions.append({"partition": name, **_salvage_summary(result)})
    fsync_dir(os, out)
    ok = all(not p["losses"] and p["manifest_error"] is None for p in partitions)
    return {"root": root, "out": out, "ok": ok, "partitions": partitions}


# ---------------------------------------------------------------------------------- internals

def _reader(root: str) -> LedgerReader:
    if not os.path.isdir(root):
        raise UsageError(f"{root!r} is not a directory: give the ledger root (the directory holding YYYY-MM-DD/)")
    return LedgerReader(root)


def _require_fresh_output(root: str, out: str) -> None:
    root_real, out_real = os.path.realpath(root), os.path.realpath(out)
    if out_real == root_real or out_real.startswith(root_real + os.sep):
        raise UsageError(f"--out {out!r} is inside the ledger root: salvage never writes into the original")
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise UsageError(f"--out {out!r} exists and is not an empty directory: give a new one")


def _salvage_summary(result: SalvageResult) -> dict[str, Any]:
    return {
        "intact_records": len(result.records),
        "losses": [loss.to_dict() for loss in result.losses],
        "torn_tail_bytes": result.torn_tail_bytes,
        "manifest_error": result.manifest_error,
    }


def _write_partition(out: str, result: SalvageResult) -> None:
    """The intact records as a ledger partition the strict reader accepts: frames as they were,
    segment names kept (a segment left with no record is dropped), a manifest recomputed."""
    path = os.path.join(out, result.partition)
    os.mkdir(path)
    fsync_dir(os, out)
    by_segment: dict[str, list[bytes]] = {}
    for record in result.records:
        by_segment.setdefault(record.segment, []).append(encode_frame(record.payload))
    source = result.manifest
    sealed = bool(source and source.sealed)
    names = sorted(by_segment)
    entries = []
    for position, name in enumerate(names):
        data = b"".join(by_segment[name])
        segment_sealed = sealed or position < len(names) - 1
        segment_path = os.path.join(path, name)
        fd = os.open(segment_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE_NEW)
        try:
            write_all(os, fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if segment_sealed:
            os.chmod(segment_path, SEGMENT_MODE_SEALED)
        entries.append(SegmentEntry(name=name, record_count=len(by_segment[name]), size_bytes=len(data),
                                    sealed=segment_sealed))
    fsync_dir(os, path)
    if names:
        replace_atomically(os, path, CURRENT_NAME, names[-1].encode() + b"\n")
    manifest = Manifest(
        partition=result.partition,
        is_late=is_late_partition(result.partition),
        sealed=sealed,
        revision=(source.revision + 1) if source else 1,
        highwater_sequence=result.records[-1].sequence if result.records else 0,
        record_count=len(result.records),
        segments=tuple(entries),
        updated_at=SystemClock().now(),
        sealed_at=source.sealed_at if source else None,
    )
    replace_atomically(os, path, MANIFEST_NAME, manifest.to_bytes())


def _verify_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for item in report["partitions"]:
        if item["status"] == "ok":
            lines.append(f"{item['partition']}: ok, {item['records']} records")
        else:
            lines.append(f"{item['partition']}: DAMAGED: {item['error']}")
            lines.extend(_loss_lines(item))
    lines.append("ledger ok" if report["ok"] else "ledger DAMAGED: run `omen ledger salvage ROOT --out DIR`")
    return lines


def _salvage_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"{item['partition']}: {item['intact_records']} intact records copied" for item in report["partitions"]]
    for item in report["partitions"]:
        lines.extend(_loss_lines(item))
    lines.append(f"salvaged ledger written to {report['out']}" + ("" if report["ok"] else " (records were lost, see above)"))
    return lines


def _loss_lines(item: dict[str, Any]) -> list[str]:
    lines = [f"  salvage keeps {item['intact_records']} intact records"]
    for loss in item["losses"]:
        last = "?" if loss["sequence_last"] is None else loss["sequence_last"]
        lines.append(f"  lost {item['partition']}/{loss['segment']} bytes {loss['start_byte']}..{loss['end_byte']}, "
                     f"sequences {loss['sequence_first']}..{last}: {loss['reason']}")
    if item["manifest_error"]:
        lines.append(f"  manifest unreadable: {item['manifest_error']}")
    return lines


def _emit(report: dict[str, Any], as_json: bool, lines: Any) -> None:
    if as_json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print("\n".join(lines(report)))


def _usage(error: UsageError) -> int:
    print(f"omen: {error}", file=sys.stderr)
    return EXIT_USAGE


__all__ = ["add_parser", "salvage", "verify"]
