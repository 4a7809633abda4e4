"""Benchmark of the self-assessment app (a real `icf app` server on loopback, driven by Debian's Chromium).

Prints:
- time from starting `icf app` until its preheated kernels are ready;
- time until the first question can be answered (navigation start to the first radio button on screen, with its
  widget connected), with preheated kernels, against a server without preheating in the same run (baseline);
- save round trip over 100 answers, measured in the page: change a radio button, wait for "Saved: <level>";
  against a direct `Store.save_answer` call (the part of it that is the database);
- answers lost with 10 respondents answering at the same time and closing their pages at once (must be 0).
Targets: first question answerable within 2 s of page load; save round trip p95 under 150 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from icframework.cli.app import link, serving  # noqa: E402
from icframework.store import Store  # noqa: E402

LOADS = 5  # page loads measured per server
SAVES = 100
CONCURRENT = 10

# In the page: click the radio for `level` in card `sel`, resolve with the milliseconds until the card says saved.
ROUND_TRIP_JS = """([sel, level, label]) => new Promise((resolve) => {
  const card = document.querySelector(sel);
  const status = card.querySelector('.icf-status');
  const radio = card.querySelectorAll('input[type=radio]')[level];
  const done = () => status.textContent.includes('Saved: ' + label);
  const t0 = performance.now();
  const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(performance.now() - t0); } });
  obs.observe(status, {subtree: true, childList: true, characterData: true});
  radio.click();
})"""

# Milliseconds from navigation start, and from the page's load event, until now (the first radio is on screen).
FIRST_ANSWERABLE_JS = """() => { const nav = performance.getEntriesByType('navigation')[0];
  return [performance.now(), performance.now() - nav.loadEventEnd, nav.responseEnd, nav.loadEventEnd]; }"""


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def make_store(root: Path, people: int) -> tuple[str, Store, list]:
    url = f"sqlite:///{root / 'icf.sqlite3'}"
    store = Store(url)
    store.create_round("bench", "inclusive-cities", title="Benchmark round", synthetic=True)
    cities = ["bristol", "cardiff", "glasgow", "belfast", "sheffield"]
    return url, store, [store.add_respondent("bench", cities[i % len(cities)], "employer", synthetic=True)
                        for i in range(people)]


def first_answerable(context, url: str) -> tuple[float, float]:
    """Seconds from navigation start, and from the load event, until the first question's radio buttons are on
    screen with their widget connected to the kernel."""
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".icf-q-A1-Q1 input[type=radio]", state="visible", timeout=120_000)
    times = page.evaluate(FIRST_ANSWERABLE_JS)
    page.close()
    return tuple(t / 1000 for t in times)


def load_times(browser, base: str, people: list, pool: bool, same_browser: bool = False) -> list[tuple]:
    """One page load per person; a fresh browser profile each time unless `same_browser` (cached files)."""
    out = []
    shared = browser.new_context()
    for resp, code in people:
        if pool:
            time.sleep(6)  # let Voila refill its pool of preheated kernels, as between two people arriving
        context = shared if same_browser else browser.new_context()
        out.append(first_answerable(context, link(base, resp.city, code)))
        if not same_browser:
            context.close()
    shared.close()
    return out


def summary(loads: list[tuple]) -> str:
    start, load, html, loaded = ([t[i] for t in loads] for i in range(4))
    return (f"median {statistics.median(start):.2f} s after navigation start ({', '.join(f'{t:.2f}' for t in start)}),"
            f" {statistics.median(load):.2f} s after the load event (page HTML received at "
            f"{statistics.median(html):.2f} s, load event at {statistics.median(loaded):.2f} s)")


def round_trips(browser, base: str, resp, code: str, store: Store) -> list[float]:
    page = browser.new_page()
    page.goto(link(base, resp.city, code), wait_until="commit")
    page.wait_for_selector(".icf-app input[type=radio]", timeout=120_000)
    fw = store.framework_for(resp.round_id)
    times = []
    for rnd in range(3):
        for area in fw.areas:
            page.get_by_role("button", name=f"{area.code} · ").first.click()
            page.wait_for_selector(f".icf-q-{area.questions[-1].code.replace('.', '-')}")
            for q in area.questions:
                if len(times) == SAVES:
                    break
                level = rnd % (fw.scale.max_level + 1)
                sel = ".icf-q-" + q.code.replace(".", "-")
                times.append(page.evaluate(ROUND_TRIP_JS, [sel, level, fw.scale.label(level)]))
    page.close()
    return times


def concurrent_loss(browser, base: str, people: list, store: Store) -> tuple[int, int]:
    """Everyone answers A1 (a level and evidence per question) at the same time, then closes the page at once."""
    fw = store.framework_for(people[0][0].round_id)
    questions = fw.areas[0].questions
    pages = []
    for resp, code in people:  # people open their links one after another...
        page = browser.new_context().new_page()
        page.goto(link(base, resp.city, code), wait_until="commit")
        page.wait_for_selector(".icf-app input[type=radio]", timeout=180_000)
        pages.append(page)
    expected = {}
    for i, q in enumerate(questions):  # ...then answer at the same time: every kernel saves while the others do
        for n, page in enumerate(pages):
            card = page.locator(".icf-q-" + q.code.replace(".", "-"))
            level = (i + n) % (fw.scale.max_level + 1)
            card.locator("input[type=radio]").nth(level).check()
            text = f"evidence {n}-{q.code}"
            card.get_by_role("textbox", name="Evidence").press_sequentially(text, delay=5)
            expected[(people[n][0].id, q.code)] = (level, text)
    for page in pages:
        page.close(run_before_unload=True)
    deadline = time.monotonic() + 60
    while True:
        got = {(r.id, q): (a["level"], a["evidence"]) for r, _ in people for q, a in store.answers_for(r).items()}
        lost = sum(got.get(k) != v for k, v in expected.items())
        if not lost or time.monotonic() > deadline:
            return lost, len(expected)
        time.sleep(0.5)


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (`make system-deps`)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        root = Path(tmp)
        url, store, people = make_store(root, LOADS * 3 + 1 + CONCURRENT)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

        started = time.perf_counter()
        with serving(url, free_port(), pool_size=2, log_path=root / "preheated.log") as base:
            ready = time.perf_counter() - started
            time.sleep(3)
            warm = load_times(browser, base, people[:LOADS], pool=True)
            cached = load_times(browser, base, people[LOADS:2 * LOADS], pool=True, same_browser=True)
            trips = round_trips(browser, base, *people[2 * LOADS], store)
            lost, total = concurrent_loss(browser, base, people[2 * LOADS + 1:2 * LOADS + 1 + CONCURRENT], store)
        with serving(url, free_port(), pool_size=0, log_path=root / "cold.log") as base:
            cold = load_times(browser, base, people[-LOADS:], pool=False)
        browser.close()

        resp = people[0][0]
        fw = store.framework_for(resp.round_id)
        direct = []
        for i in range(SAVES):
            t0 = time.perf_counter()
            store.save_answer(resp, fw.questions[i % len(fw.questions)].code, level=i % 5)
            direct.append((time.perf_counter() - t0) * 1000)

    med_warm, med_cold = statistics.median(t[0] for t in warm), statistics.median(t[0] for t in cold)
    print(f"server start until preheated kernels ready: {ready:.1f} s")
    print("first question answerable (target: within 2 s of page load), preheated kernels:")
    print(f"  first visit (empty browser cache): {summary(warm)}")
    print(f"  return visit (files cached):       {summary(cached)}")
    print(f"  baseline without preheating, first visit: {summary(cold)}; "
          f"preheated/baseline = {med_warm / med_cold:.2f}")
    print(f"save round trip in the browser over {len(trips)} answers: p50 {percentile(trips, 50):.0f} ms, "
          f"p95 {percentile(trips, 95):.0f} ms, max {max(trips):.0f} ms; target p95 < 150 ms")
    print(f"  baseline Store.save_answer alone: p50 {percentile(direct, 50):.1f} ms, "
          f"p95 {percentile(direct, 95):.1f} ms; browser/store p50 = "
          f"{percentile(trips, 50) / percentile(direct, 50):.0f}x")
    print(f"answers lost with {CONCURRENT} concurrent respondents closing their pages at once: {lost} of {total}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if lost:
        sys.exit(1)


if __name__ == "__main__":
    main()
