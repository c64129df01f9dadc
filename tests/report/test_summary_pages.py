"""Sweep and hunt summary pages: counts per scenario and invariant, fault kinds, catch times, links."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from scenarios.hunt import hunt_bug
from scenarios.report.commands import TIMELINES_MAX, write_hunt_report, write_sweep_report
from scenarios.report.summary_page import SummaryDocumentError, render_hunt_page, render_sweep_page
from scenarios.sweep import Job, sweep


@pytest.fixture(scope="module")
def failing_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    repro_dir = tmp_path_factory.mktemp("repros")
    jobs = [Job(scenario, seed, "push_before_ledger", str(repro_dir)) for seed in range(2)
            for scenario in ("calm", "hot_path_drops")]
    return sweep(jobs).to_json(), repro_dir


def hrefs(page: str, css_class: str) -> list[str]:
    return re.findall(rf'<a class="{css_class}" href="([^"]+)"', page)


def test_the_sweep_page_counts_violations_per_scenario_and_invariant(failing_sweep, tmp_path: Path) -> None:  # noqa: ANN001
    document, _ = failing_sweep
    page = render_sweep_page(document, page=tmp_path / "sweep.html", timelines={})
    assert page == render_sweep_page(document, page=tmp_path / "sweep.html", timelines={}), "same document, same bytes"
    per_pair: dict[tuple[str, str], int] = {}
    for violation in document["violations"]:
        key = (violation["scenario"], violation["invariant"])
        per_pair[key] = per_pair.get(key, 0) + 1
    assert per_pair, "the planted bug must be caught"
    for (scenario, invariant), count in per_pair.items():
        row = re.search(rf"<tr><th>{scenario}</th>(.*?)</tr>", page).group(1)
        invariants = sorted(document["invariants"])
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)[2:]
        assert cells[invariants.index(invariant)] == str(count)
    assert f"{document['runs']} runs" in page
    for kind, fired in document["faults"].items():
        assert re.search(rf'class="bar-label"[^>]*>{re.escape(kind)}</text>.*?class="bar-value"[^>]*>{fired:,}<', page)


def test_each_violation_links_its_repro_and_the_first_failing_runs_their_timelines(failing_sweep, tmp_path: Path) -> None:  # noqa: ANN001
    document, _ = failing_sweep
    out = tmp_path / "pages" / "sweep.html"
    write_sweep_report(document, out)
    page = out.read_text(encoding="utf-8")
    repro_links = hrefs(page, "repro")
    timeline_links = hrefs(page, "timeline")
    assert len(repro_links) == len(document["violations"])
    assert set(timeline_links), "failing runs get a timeline"
    assert len(set(timeline_links)) <= TIMELINES_MAX
    for href in set(repro_links) | set(timeline_links):
        assert not href.startswith("/"), "links are relative, so the pages move together"
        assert (out.parent / href).is_file(), href
    timeline = (out.parent / timeline_links[0]).read_text(encoding="utf-8")
    assert "replays to the recorded hash" in timeline


def test_a_clean_sweep_says_so(tmp_path: Path) -> None:
    document = sweep([Job("calm", 0)]).to_json()
    page = render_sweep_page(document, page=tmp_path / "s.html", timelines={})
    assert '<h2>Violations</h2><p class="good">none</p>' in page


def test_the_hunt_page_charts_seconds_and_seeds_to_catch_and_shows_an_escape(tmp_path: Path) -> None:
    from dataclasses import asdict

    caught = asdict(hunt_bug("push_before_ledger", max_seeds=5, repro_dir=tmp_path / "repros"))
    escaped = {**asdict(hunt_bug("state_advanced_despite_failure", max_seeds=1)), "caught": False}
    document = {"bugs": [caught, escaped]}
    out = tmp_path / "hunt.html"
    write_hunt_report(document, out)
    page = out.read_text(encoding="utf-8")
    assert "1 of 2 planted bugs caught" in page
    assert f"{caught['wall_seconds']:.2f} s</text>" in page and "escaped after" in page
    assert "median seeds to catch" in page and "median wall seconds to catch" in page
    assert [(out.parent / href).is_file() for href in hrefs(page, "timeline")] == [True]


@pytest.mark.parametrize("document", [{"runs": 1}, {"runs": "x", "violations": [], "invariants": {}, "faults": {},
                                                    "per_scenario": {}, "sim_seconds": 0, "wall_seconds": 0}])
def test_a_document_that_is_not_a_sweep_is_refused(document: dict, tmp_path: Path) -> None:
    with pytest.raises(SummaryDocumentError, match="not a sweep document"):
        render_sweep_page(document, page=tmp_path / "s.html", timelines={})


def test_a_document_that_is_not_a_hunt_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SummaryDocumentError, match="not a hunt document"):
        render_hunt_page({"bugs": [{"seed": 1}]}, page=tmp_path / "h.html", timelines={})
