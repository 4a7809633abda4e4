"""Batch benchmark: icf run against two do-it-yourself baselines, and cost from 12 to 500 cities.

Prints, for the twelve demo cities on this machine in this run (load average beside every figure):
  - the plain loop a researcher would write (papermill CLI, then `jupyter nbconvert --to html --no-input`, one city
    after another);
  - the strong do-it-yourself baseline: papermill with a real kernel per city in a pool of 2 processes, each
    making the HTML in-process with nbconvert's HTMLExporter (no PDFs);
  - `icf run --jobs 2` making the same executed notebooks and HTML plus the PDFs; the times and both ratios;
  - whether all give the same diagnostics.json for every city;
then `icf run --jobs 2` on 12, 120 and 500 synthetic cities: wall time, time per city, peak memory, and the time
per city at the largest scale against 120; then an incremental run after one city's answers changed;
with --dask, the same scales on a local Dask cluster (`dask scheduler` and one, then two, `dask worker`
processes started from the command line), and the ratio of two workers to one.

    python benchmarks/batch.py [--scales 12,120,500] [--skip-baseline] [--skip-plain] [--dask]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BIN, ROOT, demo_store, machine, run_measured

ROUND = "virtual-2020"
CITIES = ["belfast", "birmingham", "brighton", "bristol", "cardiff", "glasgow", "liverpool", "london", "newport",
          "newry-mourne-and-down", "peterborough", "sheffield"]


def comparable(path: Path) -> dict:
    data = json.loads(path.read_text())
    data.pop("generated_at", None)
    return data


def baseline(url: str, out: Path) -> float:
    """The plain loop: one papermill kernel and one nbconvert process per city."""
    total = 0.0
    for city in CITIES:
        d = out / city
        d.mkdir(parents=True)
        wall, _ = run_measured([str(BIN / "papermill"), "--no-progress-bar", "workbooks/city_diagnostic.ipynb",
                                str(d / "diagnostic.ipynb"), "-p", "city", city, "-p", "round_id", ROUND,
                                "-p", "store_url", url, "-p", "output_dir", str(d)])
        total += wall
        wall, _ = run_measured([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                                str(d / "diagnostic.ipynb")])
        total += wall
    return total


def _diy_city(city: str, url: str, out: str) -> None:
    """One city of the strong baseline: papermill with a real kernel, then the HTML in this process."""
    import papermill as pm
    from nbconvert import HTMLExporter

    d = Path(out) / city
    d.mkdir(parents=True)
    pm.execute_notebook(str(ROOT / "workbooks" / "city_diagnostic.ipynb"), str(d / "diagnostic.ipynb"),
                        parameters={"city": city, "round_id": ROUND, "store_url": url, "output_dir": str(d)},
                        progress_bar=False, cwd=str(ROOT / "workbooks"))
    html, _ = HTMLExporter(exclude_input=True).from_filename(str(d / "diagnostic.ipynb"))
    (d / "diagnostic.html").write_text(html, encoding="utf-8")


def diy_pool(url: str, out: Path, jobs: int = 2) -> float:
    """The strong do-it-yourself baseline: `jobs` processes, a papermill kernel per city, nbconvert in-process."""
    import concurrent.futures
    import multiprocessing

    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for f in [pool.submit(_diy_city, c, url, str(out)) for c in CITIES]:
            f.result()
    return time.perf_counter() - start


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


CPU = {"last": 0.0}  # CPU seconds (user + sys, all processes) of the last icf_run: steadier than wall time here


def icf_run(url: str, out: Path, env: dict | None = None, jobs: int = 2, force: bool = True) -> tuple[float, float]:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, peak = run_measured([str(BIN / "icf"), "run", "--round", ROUND, "--jobs", str(jobs), "--no-progress",
                               "--store", url, "--out", str(out), *(["--force"] if force else [])], env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak


def change_one_city(url: str, city: str) -> None:
    """Every answer of `city` in the round moves to the top level (its scores, and perhaps its peers, change)."""
    from icframework.store import Store

    store = Store(url)
    fw = store.framework_for(ROUND)
    for person in store.list_respondents(ROUND, city):
        for q in fw.questions:
            store.save_answer(person, q.code, actor="bench", level=fw.scale.max_level)
    store.close()


def dask_run(store: str, out: Path, env: dict | None, workers: int, log: Path) -> float:
    """`icf run --executor dask` on a fresh local cluster of `workers` worker processes (one notebook each)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    procs = []
    with open(log, "ab") as fh:
        procs.append(subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                       "--no-dashboard"], stdout=fh, stderr=subprocess.STDOUT,
                                      start_new_session=True))
        time.sleep(2)
        for _ in range(workers):
            procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"],
                                          stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                                          env={**os.environ, **(env or {})}))
    try:
        time.sleep(3)
        wall, _ = run_measured([str(BIN / "icf"), "run", "--round", ROUND, "--force", "--no-progress", "--store",
                                store, "--out", str(out), "--executor", "dask", "--scheduler", address], env=env)
        return wall
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="12,120,500", help="city counts for the scale run (comma-separated)")
    ap.add_argument("--skip-baseline", action="store_true", help="only the scale run")
    ap.add_argument("--skip-plain", action="store_true", help="leave out the slow sequential plain loop")
    ap.add_argument("--dask", action="store_true", help="also run the scales on a local Dask cluster, 1 and 2 workers")
    args = ap.parse_args()
    print(f"machine: {machine()}, {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        url = demo_store(tmp / "demo.sqlite3")
        if not args.skip_baseline:
            base = None
            if not args.skip_plain:
                base = baseline(url, tmp / "baseline")
                print(f"plain loop (papermill + nbconvert CLIs, 12 cities, sequential): {base:7.1f} s  {load()}")
            diy = diy_pool(url, tmp / "diy")
            print(f"strong DIY (papermill kernel per city, 2 processes, nbconvert HTML in-process): {diy:7.1f} s  "
                  f"{load()}")
            fast, peak = icf_run(url, tmp / "icf")
            pdfs = len(list((tmp / "icf" / ROUND).glob("*/brief.pdf")))  # 12 cities and the convening
            print(f"icf run --jobs 2 (notebooks + HTML + {pdfs} PDFs): {fast:7.1f} s  peak {peak:.0f} MiB  {load()}")
            if base is not None:
                print(f"speed-up against the plain loop: {base / fast:.1f}x")
            print(f"speed-up against the strong DIY baseline: {diy / fast:.1f}x (same run)")
            for name, folder in (("plain loop", tmp / "baseline"), ("strong DIY", tmp / "diy")):
                if not folder.exists():
                    continue
                same = [c for c in CITIES if comparable(folder / c / "diagnostics.json")
                        == comparable(tmp / "icf" / ROUND / c / "diagnostics.json")]
                print(f"same diagnostics.json as the {name}: {len(same)}/12 cities")
                if len(same) != 12:
                    print("DIFFERENT:", sorted(set(CITIES) - set(same)))
                    return 1
        per_city, cpu_city = {}, {}
        for n in (int(x) for x in args.scales.split(",")):
            cdir = tmp / f"cities-{n}"
            store = demo_store(tmp / f"scale-{n}.sqlite3", extra=n - 12, cities_dir=cdir) if n > 12 else url
            env = {"ICF_CITIES": str(cdir)} if n > 12 else None
            wall, peak = icf_run(store, tmp / f"out-{n}", env=env)
            made = len([p for p in (tmp / f"out-{n}" / ROUND).glob("*/brief.pdf") if p.parent.name != "convening"])
            per_city[n] = wall / made
            cpu_city[n] = CPU["last"] / made
            print(f"scale {n:4d} cities: wall {wall:7.1f} s, {per_city[n] * 1000:6.0f} ms per city "
                  f"({made} briefs + the convening's), CPU {CPU['last']:6.1f} s ({cpu_city[n] * 1000:4.0f} ms per "
                  f"city), peak memory {peak:6.0f} MiB  {load()}")
            if n == max(int(x) for x in args.scales.split(",")):
                change_one_city(store, "cardiff")
                again, _ = icf_run(store, tmp / f"out-{n}", env=env, force=False)
                print(f"  incremental, after cardiff's answers changed: {again:5.1f} s, CPU {CPU['last']:5.1f} s  "
                      f"{load()}")
            if args.dask and n > 12:
                one = dask_run(store, tmp / f"dask1-{n}", env, 1, tmp / "dask.log")
                two = dask_run(store, tmp / f"dask2-{n}", env, 2, tmp / "dask.log")
                print(f"  on Dask, {n} cities: 1 worker {one:7.1f} s, 2 workers {two:7.1f} s "
                      f"({one / two:.2f}x; {load()})")
        if len(per_city) > 1:
            small = 120 if 120 in per_city else min(per_city)
            big = max(per_city)
            print(f"time per city at {big} vs {small}: {per_city[big] / per_city[small]:.2f}x (target <= 1.1x); "
                  f"CPU time per city: {cpu_city[big] / cpu_city[small]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.exit(main())
