"""The city dashboard and the facilitator console in Debian's Chromium: real `icf dashboard` and `icf app` servers
on loopback, a store with the synthetic demo data."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import free_port

from icframework.cli.app import serving
from icframework.cli.dashboard import console_link, dashboard_link, serving_dashboard
from icframework.store import Store
from icframework.store.access import issue_code, revoke_code

pytestmark = pytest.mark.browser

AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                                    "best-practice"]}, "resultTypes": ["violations"]}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{root / 'icf.sqlite3'}"
    subprocess.run([sys.executable, "-m", "icframework", "demo-data", "--store", url], check=True,
                   capture_output=True)
    store = Store(url, create=False)
    build = root / "build"
    with serving(url, free_port(), pool_size=1, log_path=root / "form.log") as form, \
            serving_dashboard(url, free_port(), free_port(), log_path=root / "dashboard.log", build=build,
                              form_url=form, pool_size=2) as (dash, console):
        yield {"store": store, "dash": dash, "console": console, "form": form, "build": build}


def open_page(chromium, url, width=1280):
    """A page with its JavaScript errors collected (console errors and uncaught exceptions)."""
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    return page


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_RULES)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"]]


def test_a_taskforce_link_opens_its_city_and_editing_the_url_reaches_no_other(chromium, servers):
    from playwright.sync_api import expect

    _, code = issue_code(servers["store"], "taskforce", city="bristol")
    page = open_page(chromium, dashboard_link(servers["dash"], "bristol", code))
    expect(page.get_by_role("heading", name="Bristol: diagnostics dashboard")).to_be_visible(timeout=60_000)
    expect(page.locator("figure.icf-chart img").first).to_be_visible()
    assert page.locator("figure.icf-chart img").count() == 4
    for img in page.locator("figure.icf-chart img").all():
        assert len(img.get_attribute("alt")) > 80  # every chart has its text alternative
    expect(page.get_by_text("Synthetic demo data").first).to_be_visible()
    page.get_by_text("A1 ", exact=False).locator("xpath=ancestor-or-self::summary").first.click()  # drill down
    assert axe_violations(page) == []
    page.get_by_label("Sector").select_option(index=1)
    expect(page.get_by_text("answers from the ")).to_be_visible(timeout=30_000)
    assert page.errors == []
    page.close()

    for city in ("cardiff", "Cardiff", "bristol/../cardiff"):
        other = open_page(chromium, dashboard_link(servers["dash"], city, code))
        expect(other.get_by_text("This link does not open a dashboard")).to_be_visible(timeout=60_000)
        assert other.locator("figure.icf-chart").count() == 0 and "Cardiff" not in other.content()
        other.close()


def test_a_revoked_code_opens_nothing(chromium, servers):
    from playwright.sync_api import expect

    record, code = issue_code(servers["store"], "taskforce", city="glasgow")
    revoke_code(servers["store"], record.id)
    page = open_page(chromium, dashboard_link(servers["dash"], "glasgow", code))
    expect(page.get_by_text("This link has been withdrawn")).to_be_visible(timeout=60_000)
    assert page.locator("figure.icf-chart").count() == 0
    assert axe_violations(page) == [] and page.errors == []
    page.close()


def test_a_taskforce_code_never_opens_the_console(chromium, servers):
    from playwright.sync_api import expect

    _, code = issue_code(servers["store"], "taskforce", city="bristol")
    page = open_page(chromium, console_link(servers["console"], code))
    expect(page.get_by_text("This link does not open the console")).to_be_visible(timeout=60_000)
    assert page.get_by_role("button").count() == 0
    page.close()


def test_the_console_issues_a_link_that_opens_the_form(chromium, servers):
    from playwright.sync_api import expect

    _, code = issue_code(servers["store"], "facilitator")
    page = open_page(chromium, console_link(servers["console"], code))
    expect(page.get_by_role("heading", name="Facilitator console")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("By sector, across the cities")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("City", exact=True).select_option(label="Newport")
    page.get_by_label("Sector", exact=True).select_option(label="employer")
    page.get_by_role("button", name="Issue links").click()
    cell = page.locator("table.icf-table td", has_text=servers["form"]).first
    expect(cell).to_be_visible(timeout=30_000)
    link = cell.inner_text().strip()
    with page.expect_download() as got:
        page.get_by_role("link", name="Download this link (CSV, for a mail merge)").click()
    assert link in got.value.path().read_text(encoding="utf-8-sig")
    assert page.errors == []
    page.close()

    form = open_page(chromium, link)
    expect(form.locator(".icf-card").first).to_be_visible(timeout=60_000)
    expect(form.get_by_text("Newport").first).to_be_visible()
    form.close()


def test_the_console_makes_the_briefs_with_a_progress_bar_and_offers_them(chromium, servers):
    from playwright.sync_api import expect

    _, code = issue_code(servers["store"], "facilitator")
    page = open_page(chromium, console_link(servers["console"], code))
    expect(page.get_by_role("heading", name="Facilitator console")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Make the briefs").click()
    expect(page.locator(".widget-output .progress, .widget-output progress, .widget-output [role=progressbar]")
           .first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Outputs in")).to_be_visible(timeout=300_000)
    pdfs = sorted(p.parent.name for p in (servers["build"] / "virtual-2020").glob("*/brief.pdf"))
    assert len(pdfs) == 13 and "convening" in pdfs
    expect(page.get_by_role("link", name="Download the brief of belfast (PDF)")).to_be_visible()
    page.get_by_role("button", name="Prepare every brief as one zip").click()
    with page.expect_download() as got:
        page.get_by_role("link", name="Download 13 briefs (zip)").click()
    assert got.value.path().read_bytes()[:2] == b"PK"
    assert page.errors == []
    page.close()
