"""The timeline page as a person sees it, in the distribution's headless Chromium.

Skips when Chromium or the playwright package is missing, unless OMEN_REQUIRE_BROWSER=1 (what CI
sets after installing Chromium): then a missing browser is a failure, not a silent skip.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from scenarios.report.timeline_model import LANES, TimelineHeader, build_model
from scenarios.report.timeline_page import write_timeline
from scenarios.report.timeline_sources import timeline_from_result
from scenarios.report.trace_source import events_from_trace
from tests.report.big_trace import tiled_events

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SETTLE_TIMEOUT_MS = 10_000
BIG_TRACE_EVENTS = 100_000
SVG_ELEMENTS_MAX = 12_000  # what the page's per-frame bounds allow for six lanes at this width


def _chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_browser(required: bool, has_playwright: bool, executable: str | None) -> tuple[str, str] | None:
    """("skip" or "fail", why) when the browser test cannot run; None when it can."""
    if not has_playwright:
        return ("fail" if required else "skip",
                "the playwright package is not installed (a dev dependency: pip install -e .[dev])")
    if executable is None:
        return ("fail" if required else "skip", "no chromium on PATH (apt-get install chromium)")
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    required = os.environ.get("OMEN_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    executable = _chromium_path()
    verdict = missing_browser(required, sync_playwright is not None, executable)
    if verdict is not None:
        action, why = verdict
        if action == "fail":
            pytest.fail(f"OMEN_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_without_a_browser_the_test_skips_and_fails_only_when_ci_demands_one() -> None:
    assert missing_browser(False, True, None) == ("skip", "no chromium on PATH (apt-get install chromium)")
    assert missing_browser(True, True, None)[0] == "fail"
    assert missing_browser(True, False, "/usr/bin/chromium")[0] == "fail"
    assert missing_browser(False, False, "/usr/bin/chromium")[0] == "skip"
    assert missing_browser(True, True, "/usr/bin/chromium") is None


def open_page(browser: Any, path: Path) -> Any:  # noqa: ANN401
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_selector("#timeline g.lane")
    page.script_errors = errors  # type: ignore[attr-defined]
    return page


def wait_settled(page: Any) -> None:  # noqa: ANN401
    page.wait_for_function("document.getElementById('timeline').dataset.settled === '1'", timeout=SETTLE_TIMEOUT_MS)


def test_lanes_a_violation_and_a_signal_life_are_drawn_and_clicking_the_violation_zooms_to_its_events(
        browser: Any, failing_run: Any, tmp_path: Path) -> None:
    path = write_timeline(timeline_from_result(failing_run, source="test", replay_command="omen-sim replay r.json"),
                          tmp_path / "timeline.html")
    page = open_page(browser, path)
    assert page.eval_on_selector_all("#timeline g.lane", "gs => gs.map(g => g.dataset.lane)") == list(LANES)
    assert page.locator("#timeline .vmark").count() >= 1, "violations are marked on the time axis"
    assert page.locator("li.violation").count() == len(failing_run.violations)
    assert page.locator("#timeline .fault").count() >= 1 and page.locator("#timeline .band.crash").count() >= 1
    full = page.evaluate("omenTimeline.view()")

    page.locator("li.violation").first.click()
    wait_settled(page)
    view = page.evaluate("omenTimeline.view()")
    cited = list(failing_run.violations[0].trace_indices)
    xs = [page.evaluate(f"omenTimeline.eventX({i})") for i in cited]
    assert all(view["x0"] <= x <= view["x1"] for x in xs), "every cited event is in view"
    assert view["x1"] - view["x0"] < (full["x1"] - full["x0"]) / 100, "the view zoomed in on them"
    assert page.locator("#timeline rect.cited").count() == len(cited)
    detail = page.inner_text("#detail")
    assert f"#{cited[0]} " in detail and failing_run.violations[0].signal_ids[0] in detail, "their fields are shown"

    steps = page.eval_on_selector_all("#life-steps li.step", "lis => lis.map(li => li.textContent)")
    assert any("push to riskcast" in step for step in steps)
    assert any("ingest 200 ack_id ack-" in step for step in steps)
    assert any("emit delivered: ledger" in step for step in steps)
    assert page.locator("#timeline .life-step").count() >= 4 and page.locator("#timeline polyline.life").count() == 1
    screenshot = tmp_path / "timeline-violation.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_wheel_zooms_around_the_pointer_drag_pans_and_fit_restores(browser: Any, failing_run: Any, tmp_path: Path) -> None:
    path = write_timeline(timeline_from_result(failing_run, source="test", replay_command=None), tmp_path / "t.html")
    page = open_page(browser, path)
    box = page.locator("#timeline").bounding_box()
    full = page.evaluate("omenTimeline.view()")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 100)
    for _ in range(5):
        page.mouse.wheel(0, -300)
    page.wait_for_timeout(100)
    zoomed = page.evaluate("omenTimeline.view()")
    assert zoomed["x1"] - zoomed["x0"] < (full["x1"] - full["x0"]) / 4
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 200, box["y"] + 100, steps=5)
    page.mouse.up()
    page.wait_for_timeout(100)
    panned = page.evaluate("omenTimeline.view()")
    assert panned["x0"] < zoomed["x0"] and panned["x1"] - panned["x0"] == pytest.approx(zoomed["x1"] - zoomed["x0"])
    page.click("#fit")
    wait_settled(page)
    assert page.evaluate("omenTimeline.view()") == pytest.approx(full)


def test_a_100000_event_trace_is_drawn_with_a_bounded_number_of_marks_at_every_zoom(
        browser: Any, failing_run: Any, tmp_path: Path) -> None:
    events = tiled_events(failing_run.world.trace.events, BIG_TRACE_EVENTS)
    model = build_model(events_from_trace(events), TimelineHeader(source="tiled"))
    page = open_page(browser, write_timeline(model, tmp_path / "big.html"))
    counts = [page.evaluate("document.querySelectorAll('#timeline *').length")]
    assert page.locator("#timeline .cluster").count() > 0, "what cannot be seen one by one is clustered"
    box = page.locator("#timeline").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + 100)
    for _ in range(12):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(20)
        counts.append(page.evaluate("document.querySelectorAll('#timeline *').length"))
    assert max(counts) <= SVG_ELEMENTS_MAX, counts
    assert page.locator("#timeline rect.ev").count() > 0, "zoomed in far enough, single events are drawn"
    late_signal = next(e.fields["signal_id"] for e in reversed(events) if e.kind == "ingest.result")
    page.evaluate(f"omenTimeline.search({late_signal!r})")
    assert len(page.evaluate("omenTimeline.life()")) >= 4, "a signal of the last copy still has its whole life"
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_search_by_partition_and_sequence_rings_the_matching_events_and_follows_that_signal(
        browser: Any, failing_run: Any, tmp_path: Path) -> None:
    path = write_timeline(timeline_from_result(failing_run, source="test", replay_command=None), tmp_path / "s.html")
    page = open_page(browser, path)
    first = next(e for e in failing_run.world.trace.events if e.kind == "emit.result" and e.fields["sequence"])
    partition, sequence = first.fields["partition"], first.fields["sequence"]
    page.fill("#search", f"{partition}#{sequence}")
    page.wait_for_function("document.getElementById('search-count').textContent !== ''")
    assert page.inner_text("#search-count").startswith("1 events, 1 signals")
    assert page.inner_text("#life-title") == f"Signal life: {first.fields['signal_id']}"
    assert page.locator("#timeline circle.hit").count() == 1
    page.fill("#search", partition)
    page.wait_for_function("!document.getElementById('search-count').textContent.startsWith('1 events')")
    with_partition = sum(1 for e in failing_run.world.trace.events if e.fields.get("partition") == partition
                         or f"/{partition}/" in str(e.fields.get("path", "")))
    assert page.inner_text("#search-count").startswith(f"{with_partition} events, ")
    assert page.script_errors == []  # type: ignore[attr-defined]
