"""The determinism check: same seed, two processes, different PYTHONHASHSEED, same trace hash."""
from __future__ import annotations

from pathlib import Path

import pytest

from sim.determinism import (
    DeterminismCheckError,
    check_determinism,
    first_divergence,
    main,
    target_lines,
)
from sim.trace import hash_lines

TARGETS = Path(__file__).with_name("determinism_targets.py")


def _target(function: str) -> str:
    return f"{TARGETS}:{function}"


def test_the_same_seed_gives_the_same_trace_hash_across_processes_with_different_hash_seeds() -> None:
    report = check_determinism(_target("concurrent_world"), 17)
    assert report.same, str(report)
    assert report.hash_a == report.hash_b
    assert report.events_a == 80
    assert report.divergence is None
    assert report.hash_a == hash_lines(target_lines(_target("concurrent_world"), 17))


def test_a_trace_that_leaks_set_order_is_caught_and_the_first_divergence_shown() -> None:
    report = check_determinism(_target("leaks_set_order"), 3, hash_seeds=(1, 2))
    assert not report.same
    assert report.divergence is not None
    assert "traces part at event" in report.divergence
    assert "PYTHONHASHSEED=1" in report.divergence and "PYTHONHASHSEED=2" in report.divergence
    assert '"kind":"visit"' in report.divergence


def test_a_target_may_return_plain_canonical_lines() -> None:
    report = check_determinism(_target("plain_lines"), 5)
    assert report.same and report.events_a == 3


def test_first_divergence_marks_the_first_differing_line_with_context() -> None:
    a = [f"line {index}" for index in range(10)]
    b = list(a)
    b[6] = "other"
    text = first_divergence(a, b, context=2)
    assert text is not None
    assert "traces part at event 6" in text
    assert ">        6  line 6" in text and ">        6  other" in text
    assert "line 4" in text and "line 8" in text and "line 3" not in text
    assert first_divergence(a, list(a)) is None


def test_first_divergence_reports_a_trace_that_ends_early() -> None:
    text = first_divergence(["a", "b"], ["a", "b", "c"])
    assert text is not None and "traces part at event 2" in text and "(trace ends here)" in text


@pytest.mark.parametrize("bad", ["no_colon", "a:b:c", ":function", "module:not-an-identifier"])
def test_a_malformed_target_is_refused_before_any_process_starts(bad: str) -> None:
    with pytest.raises(ValueError, match="package.module:function"):
        check_determinism(bad, 1)


def test_identical_hash_seeds_are_refused() -> None:
    with pytest.raises(ValueError, match="differ"):
        check_determinism(_target("plain_lines"), 1, hash_seeds=(4, 4))


def test_a_failing_target_is_reported_with_its_error() -> None:
    with pytest.raises(DeterminismCheckError, match="no function 'missing'"):
        check_determinism(_target("missing"), 1)


def test_the_cli_exits_one_on_a_mismatch_and_zero_when_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([_target("plain_lines"), "1"]) == 0
    assert "deterministic" in capsys.readouterr().out
    assert main([_target("leaks_set_order"), "1"]) == 1
    assert "NOT deterministic" in capsys.readouterr().out
    assert main(["bad target", "1"]) == 2
