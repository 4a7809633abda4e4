"""Benchmark of the self-assessment app (a real `icf app` server on loopback, driven by Debian's Chromium).

Prints:
- time from starting `icf app` until its preheated kernels are ready;
- time until the first question can be answered (navigation start to the first radio button on screen, with its
  widget connected), with preheated kernels, against a server without preheating in the same run (baseline);
- save round trip over 100 answers, measured in the page: change a radio button, wait for "Saved: <level>";
  against a direct `Store.save_answer` call (the part of it that is the database);
- answers lost with 10 respondents answering at the same time and closing their pages at once (must be 0);
- a stream of invalid links: the memory (RSS) of the server's process tree and its number of kernels before and
  after, with every link checked against the store and with the default limit on failed links (429s);
- a room full of people (issue 19): 20 people opening their links within 5 seconds, each answering the first
  question: first question answerable p50/p95/max from opening the link (18 emulated pages, which make the
  server do what a page makes it do, and 2 real Chromium pages: every person has their own device, and this
  machine cannot also be 20 phones), where the time and the CPU went, answers lost (read back from the store),
  memory per open form (RSS, USS and PSS of each form's kernel, psutil), how long the kernels of the closed pages
  take to go, and what is left afterwards.
Targets: first question answerable within 2 s of page load; save round trip p95 under 150 ms; room: p95 within
2.5 s, 0 answers lost, at most 80 MiB per kernel. Every figure is printed with the machine's load average.

    .venv/bin/python benchmarks/app.py                  # everything
    .venv/bin/python benchmarks/app.py invalid room     # only these parts (also: loads, saves, concurrent)

The room's settings: ICF_BENCH_ROOM (people, 20), ICF_BENCH_ROOM_POOL (`icf app --pool-size`, default: auto, as
`icf app` starts), ICF_BENCH_ROOM_BROWSERS (real Chromium pages among them, 2; "all": every page in this machine's
Chromium), ICF_BENCH_LOGS (a folder: keep the server's log and the kernel count over time there).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import asyncio  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402

import psutil  # noqa: E402
from _common import machine  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from icframework.app.voila import KERNEL_READY  # noqa: E402
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


MiB = 2**20
INVALID = 1000  # invalid requests in the stream
ROOM = int(os.environ.get("ICF_BENCH_ROOM", 20))  # people opening their links within ROOM_SPREAD seconds
ROOM_SPREAD = 5.0
ROOM_POOL = os.environ.get("ICF_BENCH_ROOM_POOL", "auto")  # `icf app --pool-size` for the room: auto, or N
ROOM_POOL = ROOM_POOL if ROOM_POOL == "auto" else int(ROOM_POOL)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.1f} (1 min) / {five:.1f} (5 min), {os.cpu_count()} cores]"


def tree(pid: int) -> list[psutil.Process]:
    proc = psutil.Process(pid)
    return [proc, *proc.children(recursive=True)]


def tree_rss(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / MiB


def kernel_processes(pid: int) -> dict[str, psutil.Process]:
    """The server's kernels by id (their command line names the kernel's connection file)."""
    out = {}
    for p in tree(pid)[1:]:
        try:
            for arg in p.cmdline():
                if "kernel-" in arg and arg.endswith(".json"):
                    out[arg.rsplit("kernel-", 1)[1][:-5]] = p
        except psutil.Error:
            pass
    return out


def invalid_stream(url: str, people: list, root: Path) -> None:
    """RSS of the server's process tree and its kernels, before and after INVALID invalid links."""
    for label, options in (("every link checked against the store (--failed-links 0)", ("--failed-links", "0")),
                           ("default limit of 10 failed links a minute (the rest get 429)", ())):
        pid: list[int] = []
        with serving(url, free_port(), pool_size=2, log_path=root / "invalid.log", pid=pid, options=options) as base:
            time.sleep(3)
            # a first few requests warm the server up (imports, the store's connection) before the baseline
            for q in ("?city=bristol&code=warm", "?city=bristol"):
                try:
                    urllib.request.urlopen(f"{base}/{q}", timeout=30)
                except urllib.error.HTTPError:
                    pass
            before, kernels_before = tree_rss(pid[0]), len(kernel_processes(pid[0]))
            statuses: dict[int, int] = {}
            t0 = time.perf_counter()
            for i in range(INVALID):
                query = [f"?city=bristol&code=guess-{i}", "?city=bristol", "", f"?city=nowhere&code={i}"][i % 4]
                try:
                    urllib.request.urlopen(f"{base}/{query}", timeout=30)
                    statuses[200] = statuses.get(200, 0) + 1
                except urllib.error.HTTPError as exc:
                    statuses[exc.code] = statuses.get(exc.code, 0) + 1
            took = time.perf_counter() - t0
            time.sleep(2)
            after, kernels_after = tree_rss(pid[0]), len(kernel_processes(pid[0]))
            resp, code = people[-1]
            try:  # from this address; with the default limit it is held back for the minute
                ok = urllib.request.urlopen(link(base, resp.city, code), timeout=60).status
            except urllib.error.HTTPError as exc:
                ok = exc.code
        print(f"{INVALID} invalid links, {label}: server tree RSS {before:.0f} MiB before, {after:.0f} MiB after "
              f"({after - before:+.0f} MiB); kernels {kernels_before} before, {kernels_after} after; statuses "
              f"{dict(sorted(statuses.items()))}; {INVALID / took:.0f} requests/s; then a valid link: HTTP {ok} "
              f"{load()}")


# Milliseconds from navigation start: first byte of the page, its HTML complete (the server has rendered the form's
# cell), DOMContentLoaded, the load event (scripts loaded), now (the first question is answerable).
PHASES = ("first byte", "HTML complete", "DOM ready", "load event", "answerable")
PHASES_JS = """() => { const n = performance.getEntriesByType('navigation')[0];
  return [n.responseStart, n.responseEnd, n.domContentLoadedEventEnd, n.loadEventEnd, performance.now()]; }"""
ROOM_JS = "() => window.jupyterapp && window.jupyterapp.widgetManager && window.jupyterapp.widgetManager.kernel.id"
# Real Chromium pages among the ROOM people (the others are emulated, see EmulatedPage); "all" for every one.
ROOM_BROWSERS = os.environ.get("ICF_BENCH_ROOM_BROWSERS", "2")


def cpu_seconds(server: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the server process, its kernels, and the browser (Chromium and
    Playwright's driver: this script's other child processes)."""
    out = {"server": 0.0, "kernels": 0.0, "browser": 0.0}
    procs = tree(server)
    for p in procs:
        try:
            t = p.cpu_times()
            out["server" if p.pid == server else "kernels"] += t.user + t.system
        except psutil.Error:
            pass
    server_pids = {q.pid for q in procs}
    for p in psutil.Process().children(recursive=True):  # Playwright's driver and Chromium
        try:
            if p.pid not in server_pids:
                t = p.cpu_times()
                out["browser"] += t.user + t.system
        except psutil.Error:
            pass
    return out


CONTROL_VERSION, WIDGET_VERSION = "1.0.0", "2.1.0"  # ipywidgets 8's protocols, as its page sends them


class EmulatedPage:
    """One person's page as the server sees it, without a browser: the page's HTML (the server renders the form
    cell for it), the files the HTML names, then the page's kernel connection as the widget manager opens it
    (kernel info, the widget control comm, the request for every widget's state); the first question is answerable
    when the states are in. Answering sends what a click and typing send (widget `update` messages). Closing
    closes the connection, as a phone that drops the page (no shutdown request: the server's own reaping)."""

    def __init__(self, base: str, url: str):
        self.base, self.url = base, url
        self.session = uuid.uuid4().hex
        self.ws = None
        self.states: dict = {}
        self.kernel = ""

    def _msg(self, msg_type: str, content: dict, version: str = "") -> str:
        return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": self.session,
                                      "username": "bench", "version": "5.3",
                                      "date": datetime.datetime.now(datetime.UTC).isoformat()},
                           "parent_header": {}, "metadata": {"version": version} if version else {},
                           "content": content, "channel": "shell",
                           "buffers": []})

    async def _recv(self, until, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.monotonic()))
            if isinstance(raw, bytes):
                continue
            msg = json.loads(raw)
            if until(msg):
                return msg

    async def open(self) -> list[float]:
        """Seconds from opening the link: HTML complete, files loaded, first question answerable."""
        import websockets

        t0 = time.perf_counter()
        html = await asyncio.to_thread(lambda: urllib.request.urlopen(self.url, timeout=180).read().decode())
        t_html = time.perf_counter() - t0
        files = sorted(set(re.findall(r'(?:src|href)="(/voila/[^"]+)"', html)))
        await asyncio.gather(*(asyncio.to_thread(lambda f=f: urllib.request.urlopen(self.base + f, timeout=60).read())
                               for f in files))
        t_files = time.perf_counter() - t0
        self.kernel = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', html).group(1)
        ws_url = f"{self.base.replace('http', 'ws', 1)}/api/kernels/{self.kernel}/channels?session_id={self.session}"
        self.ws = await websockets.connect(ws_url, origin=self.base, max_size=2**26, open_timeout=60)
        await self.ws.send(self._msg("kernel_info_request", {}))
        await self._recv(lambda m: m["msg_type"] == "kernel_info_reply")
        control = uuid.uuid4().hex
        await self.ws.send(self._msg("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control",
                                                   "data": {}}, CONTROL_VERSION))
        await self.ws.send(self._msg("comm_msg", {"comm_id": control, "data": {"method": "request_states"}},
                                     CONTROL_VERSION))
        msg = await self._recv(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == control)
        self.states = msg["content"]["data"]["states"]
        return [t_html, t_files, time.perf_counter() - t0]

    def _find(self, root: str, cls: str) -> str:
        """The model id of the widget with CSS class `cls` inside the widget `root` (a model id)."""
        todo = [root]
        while todo:
            mid = todo.pop()
            state = self.states[mid]["state"]
            if cls in state.get("_dom_classes", ()):
                return mid
            todo.extend(c.removeprefix("IPY_MODEL_") for c in state.get("children", ()))
        raise LookupError(cls)

    async def answer(self, card_class: str, level: int, text: str, saved: str) -> None:
        card = next(m for m, s in self.states.items() if card_class in s["state"].get("_dom_classes", ()))
        radio, evidence = self._find(card, "icf-choices"), self._find(card, "icf-evidence")
        for mid, state in ((radio, {"index": level}), (evidence, {"value": text})):
            await self.ws.send(self._msg("comm_msg", {"comm_id": mid, "data": {"method": "update", "state": state,
                                                                               "buffer_paths": []}},
                                         WIDGET_VERSION))
        status = self._find(card, "icf-status")
        await self._recv(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == status
                         and saved in json.dumps(m["content"]["data"].get("state", {})), timeout=60)

    async def close(self) -> None:
        await self.ws.close()


async def room(url: str, store: Store, people: list, root: Path) -> int:
    """ROOM people open their links within ROOM_SPREAD seconds, each answers the first question with a level and
    evidence; then memory per open form; then everyone closes the page.

    Each person has their own phone or laptop; here one 2-core machine runs the server and every person's page.
    So most people are emulated (`EmulatedPage`: the server does exactly what it does for a page; the page's own
    scripts, 5 MB and about 1.7 CPU seconds of Chromium per page, are the phone's work) and ROOM_BROWSERS are real
    Chromium pages, spread over the arrivals: their times are what a person sees."""
    from playwright.async_api import async_playwright

    fw = store.framework_for(people[0][0].round_id)
    q = fw.areas[0].questions[0]
    sel = ".icf-q-" + q.code.replace(".", "-")
    real = set(range(ROOM)) if ROOM_BROWSERS == "all" else \
        {round((k + 1) * ROOM / int(ROOM_BROWSERS)) - 1 for k in range(int(ROOM_BROWSERS))}
    pid: list[int] = []
    with serving(url, free_port(), pool_size=ROOM_POOL, log_path=root / "room.log", pid=pid, timeout=600) as base:
        time.sleep(5)
        idle = kernel_processes(pid[0])
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            print(f"room: {ROOM} people within {ROOM_SPREAD:.0f} s, pool of {ROOM_POOL} preheated kernels; "
                  f"{len(real)} real Chromium pages (people {', '.join(str(i + 1) for i in sorted(real))}), "
                  f"{ROOM - len(real)} emulated {load()}")

            async def in_browser(i: int, link_url: str, level: int, text: str):
                context = await browser.new_context()
                page = await context.new_page()
                console[i] = []
                page.on("console", lambda m, i=i: console[i].append(f"{time.perf_counter() - start:.1f}s {m.type}: "
                                                                    f"{m.text[:300]}"))
                page.on("pageerror", lambda e, i=i: console[i].append(f"{time.perf_counter() - start:.1f}s error: {e}"))
                await page.goto(link_url, wait_until="commit", timeout=180_000)
                try:
                    await page.wait_for_selector(f"{sel} input[type=radio]", state="visible", timeout=120_000)
                except Exception:
                    print(f"  person {i + 1}: no form after 120 s; the page says:",
                          (await page.inner_text("body"))[:500].replace("\n", " "))
                    print("  its console:\n    " + "\n    ".join(console[i][-40:]))
                    raise
                phases[i] = [t / 1000 for t in await page.evaluate(PHASES_JS)]
                answerable[i] = phases[i][-1]
                await page.locator(f"{sel} input[type=radio]").nth(level).check()
                await page.locator(sel).get_by_role("textbox", name="Evidence").fill(text)
                kernel = await page.evaluate(ROOM_JS)

                async def close():  # as a tab is closed: the page's unload handlers run
                    await page.close(run_before_unload=True)
                    await context.close()

                return close, phases[i][-1], kernel

            async def emulated(i: int, link_url: str, level: int, text: str):
                page = EmulatedPage(base, link_url)
                try:
                    times = await page.open()
                except Exception as exc:
                    print(f"  person {i + 1} (emulated): no form: {exc!r}")
                    raise
                emulated_phases[i] = times
                answerable[i] = times[-1]
                await page.answer(sel[1:], level, text, "Saved: " + fw.scale.label(level))
                return page.close, times[-1], page.kernel

            async def person(i: int):
                await asyncio.sleep(i * ROOM_SPREAD / ROOM)
                resp, code = people[i]
                level = i % (fw.scale.max_level + 1)
                text = f"room evidence {i}"
                closer, _, kernel = await (in_browser if i in real else emulated)(i, link(base, resp.city, code),
                                                                                   level, text)
                return closer, answerable[i], (resp.id, level, text), kernel

            console: dict[int, list[str]] = {}
            phases: dict[int, list[float]] = {}
            emulated_phases: dict[int, list[float]] = {}
            answerable: dict[int, float] = {}
            samples: list[tuple[float, int, int]] = []  # (seconds, kernels, "kernel ready" lines in the log)
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    ready = (root / "room.log").read_bytes().count(KERNEL_READY.encode())
                    samples.append((time.perf_counter() - start, len(kernel_processes(pid[0])), ready))
                    time.sleep(0.5)

            cpu_before = cpu_seconds(pid[0])
            start = time.perf_counter()
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()

            try:
                results = await asyncio.gather(*(person(i) for i in range(ROOM)))
            except Exception:
                stop.set()
                print("  kernels over time (s: kernels, ready lines): " + ", ".join(
                    f"{t:.0f}: {k}, {r}" for t, k, r in samples[::4]))
                keep = os.environ.get("ICF_BENCH_LOGS")
                if keep:
                    shutil.copy(root / "room.log", Path(keep) / "room.log")
                print((root / "room.log").read_text(errors="replace")[-4000:])
                raise
            stop.set()
            times = [r[1] for r in results]
            cpu = {k: v - cpu_before.get(k, 0.0) for k, v in cpu_seconds(pid[0]).items()}
            wall = time.perf_counter() - start

            def pct(values):
                return (f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
                        f"max {max(values):.2f} s")

            print(f"  first question answerable after opening the link, all {ROOM}: {pct(times)} "
                  f"(target p95 <= 2.5 s) {load()}")
            if emulated_phases:
                em = list(emulated_phases.values())
                print(f"    emulated pages ({len(em)}): {pct([t[-1] for t in em])}; of which HTML complete (the "
                      f"server rendered the form) p50 {statistics.median(t[0] for t in em):.2f} s, files loaded "
                      f"p50 {statistics.median(t[1] for t in em):.2f} s")
            if phases:
                print(f"    real Chromium pages ({len(phases)}): {pct([v[-1] for v in phases.values()])}; "
                      "from navigation start (p50 / max): " + ", ".join(
                          f"{name} {statistics.median(v[n] for v in phases.values()):.2f} / "
                          f"{max(v[n] for v in phases.values()):.2f} s" for n, name in enumerate(PHASES)))
            print(f"  CPU seconds used until every form was answered ({wall:.1f} s wall, {os.cpu_count()} cores): "
                  + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
            await asyncio.sleep(3)
            procs = kernel_processes(pid[0])
            mem = []
            for kernel in {r[3] for r in results}:
                if kernel in procs:
                    info = procs[kernel].memory_full_info()
                    mem.append((info.rss / MiB, info.uss / MiB, info.pss / MiB))
            idle_mem = [kp.memory_full_info() for k, kp in procs.items() if k in idle and k not in
                        {r[3] for r in results}]
            med = [statistics.median(m[i] for m in mem) for i in range(3)]
            print(f"  memory per open form, {len(mem)} kernels: RSS median {med[0]:.0f} MiB (max "
                  f"{max(m[0] for m in mem):.0f}), USS {med[1]:.0f} MiB, PSS {med[2]:.0f} MiB (target <= 80 MiB) "
                  f"{load()}")
            if idle_mem:
                print(f"  a preheated kernel waiting for a person: RSS "
                      f"{statistics.median(m.rss for m in idle_mem) / MiB:.0f} MiB, USS "
                      f"{statistics.median(m.uss for m in idle_mem) / MiB:.0f} MiB")
            print(f"  server process tree: {tree_rss(pid[0]):.0f} MiB RSS with {len(procs)} kernels "
                  f"({len(procs) - len(mem)} preheated for the next people)")
            closed = time.perf_counter()
            for close, *_ in results:
                await close()
            await browser.close()
        expected = {(rid, q.code): (level, text) for _, _, (rid, level, text), _ in results}
        deadline = time.monotonic() + 60
        while True:
            got = {(r.id, c): (a["level"], a["evidence"]) for r, _ in people[:ROOM]
                   for c, a in store.answers_for(r).items()}
            lost = sum(got.get(k) != v for k, v in expected.items())
            if not lost or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        print(f"  answers lost: {lost} of {len(expected)} (read back from the store)")
        gone = {r[3] for r in results}
        browser_kernels = {r[3] for i, r in enumerate(results) if i in real}
        went: dict[str, float] = {}
        while len(went) < len(gone) and time.perf_counter() - closed < 120:
            now = set(kernel_processes(pid[0]))
            for k in gone - now - set(went):
                went[k] = time.perf_counter() - closed
            time.sleep(0.5)
        left = len(gone) - len(went)
        real_went = [went[k] for k in browser_kernels if k in went]
        print(f"  kernels of the {ROOM} closed pages gone after {max(went.values(), default=0):.1f} s at the latest "
              f"({left} left; real pages, which ask for the shutdown themselves: "
              f"{', '.join(f'{t:.1f} s' for t in sorted(real_went)) or '-'}; emulated pages, which only drop "
              f"the connection, wait for the server's 20 s, --closed-after) {load()}")
        rest = kernel_processes(pid[0])
        print(f"  after everyone left: {len(rest)} kernels (the preheated pool), server tree "
              f"{tree_rss(pid[0]):.0f} MiB RSS {load()}")
        if os.environ.get("ICF_BENCH_LOGS"):
            shutil.copy(root / "room.log", Path(os.environ["ICF_BENCH_LOGS"]) / "room.log")
            Path(os.environ["ICF_BENCH_LOGS"], "kernels.txt").write_text(
                "".join(f"{t:.1f} {k} {r}\n" for t, k, r in samples))
    return lost


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (`make system-deps`)")
    parts = set(sys.argv[1:]) or {"loads", "saves", "concurrent", "invalid", "room"}
    print(f"machine: {machine()}, {load()} at start")
    if parts & {"invalid", "room"}:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            url, store, people = make_store(root, ROOM)
            if "invalid" in parts:
                invalid_stream(url, people, root)
            lost = asyncio.run(room(url, store, people, root)) if "room" in parts else 0
        if not parts & {"loads", "saves", "concurrent"}:
            sys.exit(1 if lost else 0)
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
