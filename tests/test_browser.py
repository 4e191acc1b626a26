"""Real-browser tests: headless Chromium (the system's, never a downloaded one) driven by Playwright
against the app started on a free port. Every page is opened and its main interaction done;
screenshots go to artifacts/. Skipped with a reason where no Chromium exists; .ci/run installs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.appserver import CHROMIUM_ARGS, app_server, chromium_path

pytestmark = pytest.mark.browser
CHROMIUM = chromium_path()
if CHROMIUM is None:
    pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it so these tests run in CI", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

TIMEOUT = 240_000


@pytest.fixture(scope="module")
def server():
    with app_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(server)  # the entry page first (Streamlit shows "page not found" for deep links before any session has run)
    pg.wait_for_selector('[data-testid="stApp"]')
    yield pg
    ctx.close()


def _open(pg, title: str, wait_text: str):
    pg.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    expect(pg.get_by_text(wait_text).first).to_be_visible(timeout=TIMEOUT)
    _idle(pg)


def _idle(pg):
    pg.wait_for_timeout(300)
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)


def _shot(pg, artifacts: Path, name: str):
    pg.screenshot(path=str(artifacts / f"browser-{name}.png"), full_page=True)


def _no_exception(pg):
    assert pg.locator('[data-testid="stException"]').count() == 0, pg.locator('[data-testid="stException"]').all_inner_texts()


def test_home(page, artifacts):
    expect(page.get_by_text("Portfolio value over time")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    _idle(page)
    expect(page.get_by_text("Compute cost per 1 million predictions")).to_be_visible()
    _no_exception(page)
    _shot(page, artifacts, "home")


def test_fraud_threshold_and_upload(page, artifacts, tmp_path):
    _open(page, "Fraud detection", "Frauds caught")
    page.wait_for_selector(".js-plotly-plot")
    caught = page.locator('[data-testid="stMetric"]').filter(has_text="Frauds caught").locator('[data-testid="stMetricValue"]')
    before = caught.inner_text()
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text="Manual").click()
    # the threshold slider appears only after the rerun the click starts: wait for it, not for a fixed time
    slider = page.locator('[data-testid="stSlider"]').filter(has_text="Alert threshold").locator('input[type="range"]')
    expect(slider).to_be_attached(timeout=TIMEOUT)
    _idle(page)
    start = float(slider.input_value())
    slider.focus()
    for _ in range(2):
        page.keyboard.press("PageUp")  # move the threshold up by large steps (a tenth of the range each)
    expect(slider).not_to_have_value(str(start), timeout=TIMEOUT)
    _idle(page)
    assert float(slider.input_value()) > start + 0.05, (start, slider.input_value())
    # the metric follows the slider once its rerun has finished
    expect(caught).not_to_have_text(before, timeout=TIMEOUT)
    after = caught.inner_text()
    assert int(after.replace(",", "")) < int(before.replace(",", "")), (before, after)
    href = page.evaluate("window.location.href")
    assert "fraud.threshold=" in href and "fraud.mode=Manual" in href  # the scenario travels in the URL
    _shot(page, artifacts, "fraud")
    page.get_by_role("tab", name="Batch scoring").click()
    from tests.test_fraud import _raw_csv

    f = tmp_path / "tx.csv"
    f.write_bytes(_raw_csv(label=True))
    page.get_by_label("Transactions CSV", exact=True).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(f))
    expect(page.get_by_text("Download scored CSV")).to_be_visible(timeout=TIMEOUT)
    _no_exception(page)
    _shot(page, artifacts, "fraud-batch")


def test_recommendation_for_a_user(page, artifacts):
    _open(page, "Recommendation", "Top-10 recommendations")
    first = page.get_by_text(re.compile(r"of these \d+ (?:is|are) among the \d+ films")).inner_text()
    page.locator('[data-testid="stSelectbox"]').filter(has_text="User").locator("input").first.click()
    page.keyboard.type("user 15")
    page.keyboard.press("Enter")
    _idle(page)
    expect(page.get_by_text(re.compile(r"of these \d+ (?:is|are) among the \d+ films"))).not_to_have_text(first, timeout=TIMEOUT)
    _no_exception(page)
    _shot(page, artifacts, "recommendation")


def test_triage_assess_and_refuse(page, artifacts):
    _open(page, "Medical triage", "Suggested level")
    spo2 = page.get_by_label("SpO₂ (%)")
    spo2.fill("101")
    page.get_by_role("button", name="Assess").click()
    _idle(page)
    expect(page.get_by_text("SpO₂ 101 is outside the plausible range")).to_be_visible()
    spo2.fill("86")
    page.get_by_role("button", name="Assess").click()
    _idle(page)
    expect(page.get_by_text("Suggested level", exact=True)).to_be_visible()
    expect(page.get_by_text("SpO₂ 86 % (< 92)")).to_be_visible()
    _no_exception(page)
    _shot(page, artifacts, "triage")


def test_text_generation_streams(page, artifacts):
    _open(page, "Text generation", "Generate both")
    page.get_by_role("button", name="Generate both").click()
    expect(page.get_by_text(re.compile(r"Setting A: \d+ tokens · time to first token"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"Setting B: \d+ tokens"))).to_be_visible(timeout=TIMEOUT)
    _no_exception(page)
    _shot(page, artifacts, "textgen")


def test_report_opens_offline(browser, tmp_path):
    import plotly.graph_objects as go

    from usecases.core.report import Section, build_html

    f = tmp_path / "report.html"
    f.write_text(build_html("Offline", [Section(title="Chart", figures=[("bars", go.Figure(go.Bar(x=[1, 2], y=[2, 1])))])]), encoding="utf-8")
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.route(re.compile(r"^https?://"), lambda route: route.abort())  # no network at all
    pg.goto(f.as_uri())
    pg.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    assert pg.locator(".js-plotly-plot").count() == 1
    ctx.close()


def test_the_server_can_say_where_its_threads_stand(server):
    # The concurrency test records this when no session gets an answer (it once stalled 300 s with no clue why).
    from benchmarks.appserver import server_stacks

    stacks = server_stacks(server)
    assert "Thread 0x" in stacks and "_run_server_loop" in stacks, stacks[-2000:]  # every thread, the web server's loop among them
