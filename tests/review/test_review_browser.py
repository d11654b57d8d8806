"""End to end in a real headless Chromium: sign in, load flags, open one, decide, see it persisted.

Needs Debian's chromium and Playwright for Python (never ``playwright install``)::

    apt-get update && apt-get install -y chromium chromium-driver
    pip install playwright

Set PAXSHARE_SKIP_BROWSER=1 to skip where no browser can be installed; otherwise a missing browser
fails the test with these instructions.
"""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import PASSWORD

from pipelines.review.web import create_app, running_server

CHROMIUM = os.environ.get("PAXSHARE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("install with: apt-get update && apt-get install -y chromium chromium-driver; "
                "pip install playwright (do not run 'playwright install'); "
                "or set PAXSHARE_SKIP_BROWSER=1 to skip the browser test")


@pytest.fixture
def browser_page(tmp_path):
    """A page in a fresh headless Chromium profile; closed (and the browser stopped) afterwards."""
    if os.environ.get("PAXSHARE_SKIP_BROWSER") == "1":
        pytest.skip("PAXSHARE_SKIP_BROWSER=1")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"chromium not found at {CHROMIUM}: {INSTALL_HINT}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"playwright is not installed: {INSTALL_HINT}")
    profile = tmp_path / "chromium-profile"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()


def test_analyst_opens_a_flag_and_records_a_disposition(browser_page, loaded_store):
    page = browser_page
    with running_server(create_app(loaded_store)) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        page.goto(base_url + "/")
        page.fill("#username", "ana")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")

        page.wait_for_selector("#flag-list")
        assert page.locator("#human-in-loop").inner_text().count("no flag becomes an adverse action") == 1
        order = page.locator("#flag-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.flagId)")
        assert order == ["p1", "p2", "p3", "p4", "p5", "p6"]

        page.click("tr[data-flag-id='p5'] a.open-flag")
        page.wait_for_selector("#side-by-side")
        assert page.inner_text("#flag-id") == "p5"
        comparison = page.inner_text("#side-by-side")
        assert "DOE, JON" in comparison and "P X9999999 (USA)" in comparison
        assert "Jaro-Winkler" in page.inner_text("#explanation")

        page.check("input[value='REFER_SECONDARY']")
        page.fill("#note", "Passport photo unclear; send to secondary for a document check.")
        page.click("#decide-form button[type=submit]")
        page.wait_for_selector("#history")
        assert "Recorded: Refer to secondary inspection." in page.content()

        page.reload()
        history = page.inner_text("#history")
        assert "ana" in history and "Passport photo unclear" in history

        page.goto(base_url + "/?show=decided")
        decided = page.locator("#flag-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.flagId)")
        assert decided == ["p5"]
        assert "Refer to secondary inspection" in page.inner_text("tr[data-flag-id='p5'] .disposition")

        page.goto(base_url + "/overview")
        assert page.locator("svg.chart").count() == 3

    current = loaded_store.current_disposition("p5")
    assert (current["disposition"], current["analyst"]) == ("REFER_SECONDARY", "ana")
    oldest_first = [e["action"] for e in reversed(loaded_store.access_log(flag_id="p5"))]
    assert oldest_first == ["VIEW", "DECIDE", "VIEW", "VIEW"]
