"""The crashcheck gallery: every correct version passes every crash state, every buggy one is caught."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from sim.crashcheck import crashcheck
from sim.crashcheck.run import record
from sim.crashcheck.session import FakeFsSession

GALLERY_DIR = Path(__file__).resolve().parents[2] / "examples" / "crashcheck"
sys.path.insert(0, str(GALLERY_DIR))
GALLERY = importlib.import_module("gallery").GALLERY

CORRECT = [(module, variant) for module, variants in GALLERY.items()
           for variant, verdict in variants.items() if verdict == "pass"]
BUGGY = [(module, variant) for module, variants in GALLERY.items()
         for variant, verdict in variants.items() if verdict == "caught"]


def variant_of(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def test_every_gallery_module_has_a_correct_and_at_least_one_buggy_version():
    assert set(GALLERY) == {path.stem for path in GALLERY_DIR.glob("*.py")} - {"gallery"}
    for module, variants in GALLERY.items():
        assert variants.get("correct") == "pass" and "caught" in variants.values(), module


@pytest.mark.parametrize("profile", ["posix", "ext4-ordered"])
@pytest.mark.parametrize("module, variant", CORRECT)
def test_the_correct_version_passes_every_crash_state(module, variant, profile):
    code = variant_of(module, variant)
    result = crashcheck(code.workload, code.recover, code.check, profile=profile)
    assert result.ok, "\n".join(v.report() for v in result.violations[:3])
    assert result.states >= result.crash_points > 1


@pytest.mark.parametrize("module, variant", BUGGY)
def test_the_buggy_version_is_caught_by_its_own_promise(module, variant):
    code = variant_of(module, variant)
    result = crashcheck(code.workload, code.recover, code.check)
    assert not result.ok, f"{module}.{variant} escaped crashcheck ({result.states} states)"
    # caught by the check's assertion (a broken promise), not only by code that fell over
    assert any(not v.message.startswith(("check raised", "recover raised")) for v in result.violations), \
        [v.message for v in result.violations[:3]]


def test_filelock_probe_ops_are_not_recorded(monkeypatch):
    from sim.crashcheck.recorder import Recorder

    probes = []
    original = Recorder.on_tmpfile
    monkeypatch.setattr(Recorder, "on_tmpfile", lambda self, obj: (probes.append(obj.name), original(self, obj)))
    code = variant_of("filelock_store", "correct")
    with FakeFsSession() as session:
        recording = record(session, code.workload)
    created = {op.path.rsplit("/", 1)[-1] for op in recording.ops if op.kind in ("create", "mkdir")}
    assert probes, "filelock did not probe with O_TMPFILE: this test no longer covers the pitfall"
    assert created == {"store.json.tmp", "store.json.lock"}, created
