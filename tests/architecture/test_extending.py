"""The worked example of docs/architecture.md, followed: a scenario with its own driver, a fault
kind, an observer and a checker, each added by touching only the files the document names.

The test copies the repository's code and docs to a temporary directory, makes the example's
edits there (new files, and entries inserted into existing tables), checks that the files it
touched are exactly the ones the document lists, and runs the new scenario in a fresh interpreter
on the copy: the new kind fires, the driver's events are in the trace (so the trace catalogue
took them), the scenario's checker is judged and holds, and it does catch the fault it exists for.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("system", "sim", "faults", "scenarios", "docs")
ARCHITECTURE = ROOT / "docs" / "architecture.md"

NEW_FILES: dict[str, str] = {
    "scenarios/observers/manifest_revisions.py": '''
        """Observer of manifests: each partition's durable manifest revision, read from the bytes."""
        from __future__ import annotations

        import json

        from scenarios.observers.files import FileView
        from scenarios.observers.ledger_files import partition_names


        def durable_revisions(files: FileView, root: str) -> dict[str, int]:
            """partition -> `revision` of its manifest as `files` hold it (partitions without one left out)."""
            revisions: dict[str, int] = {}
            for partition in partition_names(files, root):
                data = files.read_bytes(f"{root}/{partition}/_manifest.json")
                try:
                    revision = json.loads(data)["revision"] if data else None
                except (ValueError, KeyError, TypeError):
                    revision = None
                if isinstance(revision, int):
                    revisions[partition] = revision
            return revisions
    ''',
    "scenarios/drivers/revision_poller.py": '''
        """A scenario driver: every `interval_s`, record each partition's durable manifest revision."""
        from __future__ import annotations

        import asyncio
        from dataclasses import dataclass

        from scenarios.observers.files import SimDiskView
        from scenarios.observers.manifest_revisions import durable_revisions

        POLLS_MAX = 100_000


        @dataclass(frozen=True)
        class RevisionPoller:
            interval_s: float = 2.0

            def install(self, world, params) -> None:  # noqa: ANN001
                polls = min(POLLS_MAX, int(params.duration_s / self.interval_s))
                world.spawn("source", self._poll, world, polls, name="source.revision_poller")

            async def _poll(self, world, polls: int) -> None:  # noqa: ANN001
                durable = SimDiskView(world.disk, durable=True)
                for _ in range(polls):
                    await asyncio.sleep(self.interval_s)
                    world.trace.record("source", "manifest.revisions",
                                       revisions=durable_revisions(durable, world.ledger_root))
    ''',
    "scenarios/invariants/revision_checks.py": '''
        """A scenario's own checker: a partition's durable manifest revision never goes back."""
        from __future__ import annotations

        from collections.abc import Iterator

        from scenarios.invariants.model import CheckContext, Violation


        def durable_revision_never_decreases(ctx: CheckContext) -> Iterator[Violation]:
            if ctx.beyond_promise:
                return
            last: dict[str, tuple[int, int]] = {}
            for event in ctx.of_kind("manifest.revisions"):
                for partition, revision in sorted(event.fields["revisions"].items()):
                    before = last.get(partition)
                    if before is not None and revision < before[0]:
                        yield Violation("durable_revision_never_decreases",
                                        f"{partition}: durable manifest revision {revision} after {before[0]}",
                                        partition=partition, trace_indices=(before[1], event.index))
                    last[partition] = (revision, event.index)
    ''',
}

# (file, anchor, text inserted right after the anchor)
INSERTIONS: list[tuple[str, str, str]] = [
    ("faults/kinds.py", '"tick", {"delta_s": ParamRange(-3600.0, 3600.0, unit="s", limit=(-7 * 86400.0, 7 * 86400.0))}, (0.002, 0.02),\n    ),\n', '''\
    FaultKindInfo(
        "disk.crash_at_replace", "disk",
        "power loss at an atomic replace (the commit point of a rollover's _CURRENT or a seal's manifest)",
        "op", {}, (0.05, 0.3),
    ),
'''),
    ("faults/disk_faults.py", '    "disk.fsync_lie": "fsync_lie",\n', '    "disk.crash_at_replace": "crash",\n'),
    ("faults/disk_faults.py", '_DECISION_ORDER = ("disk.crash_at_op", ', '"disk.crash_at_replace", '),
    ("faults/disk_faults.py", "_NARROWED_OPS: dict[str, frozenset[str]] = {", '"disk.crash_at_replace": frozenset({"replace"})'),
    ("docs/faults.md", "| `disk.crash_at_op` | `disk.<any op>` (first in order) | SimulatedCrash from inside the op | |\n",
     "| `disk.crash_at_replace` | `disk.replace` | SimulatedCrash at an atomic replace | |\n"),
    ("scenarios/trace_kinds.py", "_CATALOGUE: tuple[TraceKind, ...] = (\n",
     '    _kind("manifest.revisions", "scenarios/drivers/revision_poller.py", "revisions",\n'
     '          "each partition\'s durable manifest revision"),\n'),
]
APPENDED: dict[str, str] = {
    "scenarios/catalog.py": '''

        from scenarios.drivers.revision_poller import RevisionPoller  # noqa: E402
        from scenarios.invariants.revision_checks import durable_revision_never_decreases  # noqa: E402

        SCENARIOS["metadata_crashes"] = Scenario(
            "metadata_crashes",
            "Power losses exactly at the ledger's atomic replaces: the durable manifest revision never goes back.",
            ScenarioParams(workload=_W(signal_count=80, rate_per_s=2.0), duration_s=60.0, segment_max_records=3,
                           seal_grace_s=5.0, start_before_midnight_s=20.0),
            ("disk.crash_at_replace",),
            drivers=(RevisionPoller(interval_s=2.0),),
            checkers=(("durable_revision_never_decreases", durable_revision_never_decreases),),
        )
    ''',
}

RUN_THE_EXAMPLE = textwrap.dedent('''
    import json, sys
    from faults import FaultPlan, FaultSpec
    from scenarios import run
    from scenarios.invariants import CheckContext
    from scenarios.invariants.revision_checks import durable_revision_never_decreases
    from scenarios.observers import MappingFiles, Observations
    from scenarios.observers.manifest_revisions import durable_revisions
    from sim.trace import TraceEvent

    results = [run("metadata_crashes", seed, keep_world=True) for seed in range(3)]
    forced = run("metadata_crashes", 0, plan=FaultPlan(kinds={"disk.crash_at_replace": FaultSpec(probability=0.5)}),
                 keep_world=True)
    files = MappingFiles({"/ledger/2026-01-01/_manifest.json": b'{"revision": 3}', "/ledger/2026-01-01/x": b""})
    events = [TraceEvent(0, 1.0, "source", "manifest.revisions", {"revisions": {"2026-01-01": 3}}),
              TraceEvent(1, 2.0, "source", "manifest.revisions", {"revisions": {"2026-01-01": 2}})]
    context = CheckContext(events=events, final_visible={}, final_durable={}, stored_rows=[], reconcile_state={},
                           reader_view={}, observations=Observations(), faults_fired={})
    print(json.dumps({
        "violations": [[v.invariant for v in r.violations] for r in results + [forced]],
        "judged": [sorted(r.invariants) for r in results],
        "fired": [r.faults.get("disk.crash_at_replace", 0) for r in results + [forced]],
        "polls": [len(r.world.trace.of_kind("manifest.revisions")) for r in results],
        "crashes": sum(1 for e in forced.world.trace.events if e.kind == "node.crash" and e.node == "omen"),
        "observed": durable_revisions(files, "/ledger"),
        "caught": [v.trace_indices for v in durable_revision_never_decreases(context)],
    }))
''')


def _digest_tree(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}


def _files_the_document_names() -> set[str]:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("### Worked example", 1)[1]
    return set(re.findall(r"^- `([^`]+)`", section, re.M))


def _follow_the_example(copy: Path) -> None:
    for relative, source in NEW_FILES.items():
        path = copy / relative
        assert not path.exists(), f"{relative} already exists: the example must add it"
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    for relative, anchor, text in INSERTIONS:
        path = copy / relative
        content = path.read_text(encoding="utf-8")
        assert content.count(anchor) == 1, f"{relative}: the example's anchor is not unique: {anchor!r}"
        path.write_text(content.replace(anchor, anchor + text), encoding="utf-8")
    for relative, text in APPENDED.items():
        path = copy / relative
        path.write_text(path.read_text(encoding="utf-8") + textwrap.dedent(text), encoding="utf-8")


def test_the_worked_example_touches_only_the_files_the_architecture_names_and_works(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in COPIED:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    before = _digest_tree(copy)
    _follow_the_example(copy)
    after = _digest_tree(copy)
    touched = {path for path in after if before.get(path) != after[path]}
    assert touched == _files_the_document_names(), "docs/architecture.md's worked example lists other files"

    env = {"PYTHONPATH": f"{copy}{os_pathsep()}{copy / 'system'}", "PYTHONHASHSEED": "0", "PATH": ""}
    completed = subprocess.run([sys.executable, "-c", RUN_THE_EXAMPLE], cwd=copy, env=env,
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["violations"] == [[], [], [], []], "the correct system holds the new checker under the new kind"
    assert all("durable_revision_never_decreases" in judged for judged in report["judged"])
    assert report["fired"][-1] > 0 and sum(report["fired"][:-1]) > 0, "the new kind fires"
    assert report["crashes"] > 0, "a crash at a replace is a power loss of OMEN"
    assert all(polls > 0 for polls in report["polls"]), "the driver ran and its events passed the trace catalogue"
    assert report["observed"] == {"2026-01-01": 3}, "the observer reads the revision from the bytes"
    assert report["caught"] == [[0, 1]], "the checker catches a revision that goes back"


def os_pathsep() -> str:
    import os

    return os.pathsep
