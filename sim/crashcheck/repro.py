"""Crashcheck repro files: one crash state, exactly, and how to check it again.

A repro holds the state itself (every directory and file of the crashed tree, bytes in
base64), not the workload's history: replaying it installs that state and runs the recovery
and the check, so a workload that writes wall-clock values or random names replays the same.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from sim.crashcheck.errors import ReproFileError
from sim.crashcheck.tree import Tree

FORMAT = "crashcheck-repro"
VERSION = 1
REPRO_BYTES_MAX = 256 * 1024 * 1024


@dataclass(frozen=True)
class CrashRepro:
    workload: str  # MODULE:FN specs, as given
    recover: str
    check: str
    profile: str
    crash_point: int
    op: str
    message: str
    acked: tuple[tuple[str, str], ...]
    tree: Tree
    report: dict  # the violation's JSON (entry ops kept/dropped, data ops, torn regions)

    def to_document(self) -> dict:
        return {
            "format": FORMAT, "version": VERSION,
            "workload": self.workload, "recover": self.recover, "check": self.check,
            "profile": self.profile, "crash_point": self.crash_point, "op": self.op, "message": self.message,
            "acked": [list(pair) for pair in self.acked],
            "dirs": [[path, mode] for path, mode in self.tree.dirs],
            "files": [[path, mode, base64.b64encode(data).decode("ascii")] for path, mode, data in self.tree.files],
            "report": self.report,
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_document(), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def is_crashcheck_document(document: object) -> bool:
    return isinstance(document, dict) and document.get("format") == FORMAT


def read_document(path: str | Path) -> dict:
    file_path = Path(path)
    try:
        if file_path.stat().st_size > REPRO_BYTES_MAX:
            raise ReproFileError(f"{path}: larger than {REPRO_BYTES_MAX} bytes, not a crashcheck repro")
        return json.loads(file_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReproFileError(f"cannot read repro file {path}: {error}") from error


def from_document(document: dict, source: str = "<repro>") -> CrashRepro:
    if not is_crashcheck_document(document):
        raise ReproFileError(f"{source}: not a crashcheck repro (its format is not {FORMAT!r})")
    if document.get("version") != VERSION:
        raise ReproFileError(f"{source}: repro version {document.get('version')!r}, this build reads {VERSION}")
    try:
        dirs = tuple((str(path), int(mode)) for path, mode in document["dirs"])
        files = tuple((str(path), int(mode), base64.b64decode(data, validate=True))
                      for path, mode, data in document["files"])
        acked = tuple((str(kind), str(key)) for kind, key in document["acked"])
        return CrashRepro(
            workload=str(document["workload"]), recover=str(document["recover"]), check=str(document["check"]),
            profile=str(document["profile"]), crash_point=int(document["crash_point"]), op=str(document["op"]),
            message=str(document["message"]), acked=acked, tree=Tree(dirs, files),
            report=dict(document.get("report", {})))
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise ReproFileError(f"{source}: malformed crashcheck repro ({type(error).__name__}: {error})") from error


def load(path: str | Path) -> CrashRepro:
    return from_document(read_document(path), str(path))
