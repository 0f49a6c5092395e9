"""The web console in a real browser: Debian's chromium, driven by playwright.

The console is served as `steplane console` serves it (its demo: onboarding executions on
a LocalRuntime, one of them FAILED by a simulated mail outage). An operator lists the
executions, filters the failed one, opens it, sees the failed state marked on the graph,
redrives it, and sees it succeed.

Without a browser these tests skip, saying why; CI sets STEPLANE_REQUIRE_BROWSER=1, so
there a missing browser fails them instead (.ci/run installs chromium).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("STEPLANE_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("STEPLANE_REQUIRE_BROWSER") == "1"
WAIT_MS = 20_000


def _missing() -> str | None:
    """Why no browser test can run here (None: they can)."""
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} (apt-get install -y chromium chromium-driver)"
    return None


@pytest.fixture(scope="module", name="console")
def _console() -> Iterator[str]:
    """``steplane console`` itself, in its own process, as a newcomer runs it (the demo)."""
    problem = _missing()
    if problem is not None:
        if REQUIRED:
            pytest.fail(f"STEPLANE_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    command = [sys.executable, "-m", "steplane.cli", "console", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "steplane console (demo: ...): http://...  (Ctrl-C ...)"
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if found is None:
            process.kill()
            pytest.fail(f"steplane console did not start: {line!r} {process.communicate()[1]!r}")
        yield found.group(0)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(name="page")
def _page(console: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.set_default_timeout(WAIT_MS)
        page.goto(console)
        yield page
        browser.close()
    assert errors == [], f"the page raised: {errors}"


def _rows(page: Any) -> Any:
    return page.locator("#executions-table tr[data-execution-id]")


def test_list_open_a_failed_execution_see_its_failed_state_redrive_it_and_see_it_succeed(
    page: Any,
) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    # The list: the demo's four executions, newest first.
    expect(_rows(page)).to_have_count(4)
    # Filter: FAILED only.
    page.select_option("#filter-status", "FAILED")
    page.click("#apply-filters")
    expect(_rows(page)).to_have_count(1)
    failed = _rows(page).first
    expect(failed.locator("[data-testid=status]")).to_have_text("FAILED")
    failed.locator("a").first.click()

    # Its page: FAILED, and the graph marks the state that failed and the path before it.
    expect(page.locator("#execution-status")).to_have_text("FAILED")
    node = page.locator("#graph svg g.node[data-state='SendWelcomeEmail']")
    expect(node).to_have_attribute("data-outcome", "failed")
    expect(node).to_have_class("node outcome-failed")
    created = page.locator("#graph svg g.node[data-state='CreateUser']")
    expect(created).to_have_attribute("data-outcome", "succeeded")
    skipped = page.locator("#graph svg g.node[data-state='RollbackUserCreation']")
    expect(skipped).to_have_attribute("data-outcome", "none")
    expect(page.locator("#execution-error")).to_contain_text("NotificationService.Unavailable")
    # The timeline: the failure's event opens to show its error and cause.
    page.locator("#timeline tr.event[data-type='TaskFailed']").click()
    expect(page.locator("#timeline")).to_contain_text("simulated outage")
    expect(page.locator("#stop-button")).to_be_disabled()

    # Redrive: it runs again from the failed state and succeeds (the outage is over).
    page.click("#redrive-button")
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    expect(node).to_have_attribute("data-outcome", "succeeded")
    expect(page.locator("#graph svg g.node[data-state='NotifyInternalTeams']")).to_have_attribute(
        "data-outcome", "succeeded"
    )
    expect(page.locator("#timeline")).to_contain_text("ExecutionRedriven")
    expect(page.locator("#redrive-button")).to_be_disabled()


def test_the_list_filters_by_business_key_and_shows_a_caught_error(page: Any) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    expect(_rows(page)).to_have_count(4)
    page.fill("#filter-business-key", "customer-1003")
    page.click("#apply-filters")
    expect(_rows(page)).to_have_count(1)
    _rows(page).first.locator("a").first.click()
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    # createUser failed and its Catch led to the admin alert.
    expect(page.locator("#graph svg g.node[data-state='CreateUser']")).to_have_attribute(
        "data-outcome", "caught"
    )
    expect(page.locator("#graph svg g.node[data-state='SendErrorNotification']")).to_have_attribute(
        "data-outcome", "succeeded"
    )


def test_a_workflow_s_bottlenecks_stand_out_on_its_graph(page: Any) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    # From the list: the workflows page, then the onboarding workflow's bottlenecks.
    page.click("#nav-workflows")
    row = page.locator("#workflows-table tr[data-workflow='UserOnboardingWorkflow']")
    expect(row).to_have_count(1)
    row.locator("a").first.click()
    expect(page.locator("#workflow-name")).to_have_text("UserOnboardingWorkflow")
    # ProvisionResources failed twice before it succeeded for one customer: the flaky one.
    provision = page.locator("#graph svg g.node[data-state='ProvisionResources']")
    expect(provision).to_have_attribute("data-standout", re.compile("flaky"))
    stats = page.locator("#stats-table tr[data-state='ProvisionResources']")
    # Three visits: every onboarding but the one whose user was never created.
    expect(stats.locator("td").nth(1)).to_have_text("3")
    expect(page.locator("#stats-table tr[data-state='SendWelcomeEmail']")).to_have_count(1)
