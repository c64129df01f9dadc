"""`omen-sim crashcheck` and `omen-sim replay` of its repro files: the contract of the CLI face."""
from __future__ import annotations

import itertools
import json
import textwrap

import pytest

from scenarios.cli import main

_counter = itertools.count()

STORE = '''
import json, os
from sim.crashcheck import ack

def _save(root, value, fsync_temp):
    temp = os.path.join(root, "settings.json.tmp")
    with open(temp, "w") as f:
        json.dump({"v": value}, f)
        if fsync_temp:
            f.flush()
            os.fsync(f.fileno())
    os.replace(temp, os.path.join(root, "settings.json"))
    fd = os.open(root, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    ack("settings", str(value))

def good(root):
    for value in range(2):
        _save(root, value, True)

def bad(root):
    for value in range(2):
        _save(root, value, False)

def recover(root):
    pass

def check(root, acked):
    if acked:
        with open(os.path.join(root, "settings.json")) as f:
            value = json.load(f)["v"]
        assert value >= int(acked[-1][1]), f"v={value} after v={acked[-1][1]} was acknowledged"

def lenient(root, acked):
    pass

NOT_CALLABLE = 3
'''


@pytest.fixture
def store(tmp_path, monkeypatch):
    name = f"cc_store_{next(_counter)}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(STORE), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return name


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_correct_code_exits_0_with_the_counts(store, capsys):
    code, out, _ = run(capsys, "crashcheck", f"{store}:good", "--recover", f"{store}:recover",
                       "--check", f"{store}:check")
    assert code == 0
    assert "0 violation(s)" in out and "crash points" in out


def test_a_violation_exits_1_and_the_json_names_crash_point_op_and_message(store, capsys, tmp_path):
    code, out, _ = run(capsys, "crashcheck", f"{store}:bad", "--recover", f"{store}:recover",
                       "--check", f"{store}:check", "--json", "--repro-dir", str(tmp_path / "repros"))
    assert code == 1
    document = json.loads(out)
    assert {"crash_points", "states", "violations"} <= set(document)
    first = document["violations"][0]
    assert isinstance(first["crash_point"], int) and first["op"].startswith("fsync_dir")
    assert "JSONDecodeError" in first["message"] or "acknowledged" in first["message"]
    assert (tmp_path / "repros").is_dir() and first["repro"].startswith(str(tmp_path / "repros"))


def test_samples_with_a_seed_replay_the_same_json(store, capsys):
    argv = ("crashcheck", f"{store}:bad", "--recover", f"{store}:recover", "--check", f"{store}:check",
            "--samples", "4", "--seed", "9", "--profile", "ext4-ordered", "--json", "--repro-dir", "r")
    first = run(capsys, *argv)
    second = run(capsys, *argv)
    assert first[0] == second[0] == 1
    assert json.loads(first[1]) == json.loads(second[1])
    assert json.loads(first[1])["mode"] == "samples"


def test_replay_of_a_repro_reproduces_the_violation_and_passes_once_the_check_is_satisfied(store, capsys, tmp_path):
    run(capsys, "crashcheck", f"{store}:bad", "--recover", f"{store}:recover", "--check", f"{store}:check",
        "--json", "--repro-dir", "repros")
    repro_file = sorted((tmp_path / "repros").iterdir())[0]
    code, out, _ = run(capsys, "replay", str(repro_file))
    assert code == 1 and "violation reproduced" in out
    document = json.loads(repro_file.read_text())
    document["check"] = f"{store}:lenient"
    repro_file.write_text(json.dumps(document))
    code, out, _ = run(capsys, "replay", str(repro_file), "--json")
    assert code == 0 and json.loads(out)["reproduced"] is False


@pytest.mark.parametrize("extra, fragment", [
    (("--profile", "zfs"), "unknown profile"),
    (("--samples", "0"), "--samples"),
    (("--states-max", "0"), "states_max"),
])
def test_bad_options_exit_2_with_a_message(store, capsys, extra, fragment):
    code, _, err = run(capsys, "crashcheck", f"{store}:good", "--recover", f"{store}:recover",
                       "--check", f"{store}:check", *extra)
    assert code == 2 and fragment in err


@pytest.mark.parametrize("spec, fragment", [
    ("nomodule_here:fn", "cannot import"),
    ("{store}:missing", "no attribute"),
    ("{store}:NOT_CALLABLE", "not a callable"),
    ("no-colon", "MODULE:FN"),
])
def test_a_spec_that_names_no_callable_exits_2(store, capsys, spec, fragment):
    code, _, err = run(capsys, "crashcheck", spec.format(store=store), "--recover", f"{store}:recover",
                       "--check", f"{store}:check")
    assert code == 2 and fragment in err


def test_a_workload_that_raises_exits_2_naming_the_exception(store, capsys, tmp_path):
    (tmp_path / f"{store}_raising.py").write_text("def w(root):\n    raise OSError(5, 'disk on fire')\n")
    code, _, err = run(capsys, "crashcheck", f"{store}_raising:w", "--recover", f"{store}:recover",
                       "--check", f"{store}:check")
    assert code == 2 and "OSError" in err and "disk on fire" in err


def test_replay_of_a_malformed_crashcheck_repro_exits_2(store, capsys, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"format": "crashcheck-repro", "version": 1, "dirs": "nope"}))
    code, _, err = run(capsys, "replay", str(path))
    assert code == 2 and "malformed" in err


def test_exhaustive_is_the_default_and_excludes_samples(store, capsys):
    code, out, _ = run(capsys, "crashcheck", f"{store}:good", "--recover", f"{store}:recover",
                       "--check", f"{store}:check", "--exhaustive", "--json")
    assert code == 0 and json.loads(out)["mode"] == "exhaustive"
    with pytest.raises(SystemExit) as stopped:
        main(["crashcheck", f"{store}:good", "--recover", f"{store}:recover", "--check", f"{store}:check",
              "--exhaustive", "--samples", "3"])
    assert stopped.value.code == 2


def test_replay_of_a_repro_whose_module_is_gone_exits_2(store, capsys, tmp_path):
    run(capsys, "crashcheck", f"{store}:bad", "--recover", f"{store}:recover", "--check", f"{store}:check",
        "--repro-dir", "repros")
    repro_file = sorted((tmp_path / "repros").iterdir())[0]
    document = json.loads(repro_file.read_text())
    document["recover"] = "module_that_was_deleted:recover"
    repro_file.write_text(json.dumps(document))
    code, _, err = run(capsys, "replay", str(repro_file))
    assert code == 2 and "cannot import module_that_was_deleted" in err
