"""Benchmark of the city dashboard and the facilitator console (`icf dashboard`, on loopback, Debian's Chromium).

Prints:
- time from opening a dashboard link until the first chart is on screen (preheated kernels; the demo data's
  twelve cities, three rounds), over a few loads;
- the console's progress table for 500 cities (the demo's twelve plus 488 synthetic ones, as `icf demo-data
  --extra-cities`): computing it from the store and making its HTML, in-process; then the console page in the
  browser, from opening the link to the table on screen.
Targets: first chart within 3 s of opening the link; the 500-city progress table within 2 s.

(Its own file, beside benchmarks/app.py, which measures the form: the two share the server helpers.)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import demo_store  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from icframework.app import operations as ops  # noqa: E402
from icframework.app.console import progress_html  # noqa: E402
from icframework.cli.dashboard import console_link, dashboard_link, serving_dashboard  # noqa: E402
from icframework.model.cities import load_cities  # noqa: E402
from icframework.store import Store  # noqa: E402
from icframework.store.access import issue_code  # noqa: E402

LOADS = 3
CITIES = 500
FIRST_CHART_JS = "() => performance.now()"  # ms since navigation start, read once the first chart is visible


def first_chart(browser, url: str) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.locator("figure.icf-chart img").first.wait_for(state="visible", timeout=120_000)
    ms = page.evaluate(FIRST_CHART_JS)
    page.close()
    return ms / 1000


def console_table(browser, url: str) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.get_by_text("By city", exact=True).wait_for(state="visible", timeout=300_000)
    ms = page.evaluate(FIRST_CHART_JS)
    page.close()
    return ms / 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        root = Path(tmp)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

        url = demo_store(root / "demo.sqlite3")
        store = Store(url, create=False)
        links = []
        for city in ("bristol", "cardiff", "glasgow"):
            _, code = issue_code(store, "taskforce", city=city)
            links.append((city, code))
        with serving_dashboard(url, free_port(), free_port(), log_path=root / "dash.log", build=root / "build",
                               pool_size=LOADS) as (dash, _console):
            times = [first_chart(browser, dashboard_link(dash, city, code)) for city, code in links]
        print(f"dashboard: first chart on screen {statistics.median(times):.2f} s after opening the link (median of "
              f"{len(times)}; {', '.join(f'{t:.2f}' for t in times)} s)")

        cities_dir = root / "cities500"
        url = demo_store(root / "big.sqlite3", extra=CITIES - 12, cities_dir=cities_dir)
        store = Store(url, create=False)
        round_id = store.list_rounds()[-1].id
        names = {c.slug: c.name for c in load_cities(cities_dir)}
        t0 = time.perf_counter()
        table = ops.progress_table(store, round_id, cities_dir)
        t1 = time.perf_counter()
        html = progress_html(table, names)
        t2 = time.perf_counter()
        print(f"console: progress table for {table['city'].nunique()} cities ({len(table)} city sectors): "
              f"{t1 - t0:.2f} s from the store, {t2 - t1:.2f} s to HTML ({len(html) / 2**20:.1f} MiB)")
        _, code = issue_code(store, "facilitator")
        import os

        os.environ["ICF_CITIES"] = str(cities_dir)
        try:
            with serving_dashboard(url, free_port(), free_port(), log_path=root / "big.log", build=root / "build",
                                   pool_size=1) as (_dash, console):
                shown = console_table(browser, console_link(console, code))
        finally:
            os.environ.pop("ICF_CITIES")
        print(f"console: {CITIES} cities' progress on screen {shown:.2f} s after opening the link")
        browser.close()


if __name__ == "__main__":
    main()
