"""Helpers shared by the benchmark scripts: timing, peak memory of a process tree, a demo store."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {sys.version.split()[0]}, {cpu_speed()}"


def cpu_speed() -> str:
    """How fast this machine runs plain Python today, best of three runs each: a loop of ten million additions
    (one core, in its caches), and a 3 MB JSON document written and read back with the json module in pure Python
    (indented; many small objects, as in the workbooks). This project's virtual machine changes speed from day to
    day, so figures of different days compare only beside these."""
    import json

    def best(work) -> float:
        times = []
        for _ in range(3):
            start = time.process_time()
            work()
            times.append(time.process_time() - start)
        return min(times)

    def additions():
        total = 0
        for i in range(10_000_000):
            total += i

    doc = [{"city": f"city-{i}", "scores": [{"area": f"A{j}", "score": i * 0.5 + j, "n": j} for j in range(5)]}
           for i in range(8_000)]
    return (f"speed today: 10^7 additions {best(additions):.2f} s, a 3 MB JSON written and read "
            f"{best(lambda: json.loads(json.dumps(doc, indent=1))):.2f} s")


def run_measured(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> tuple[float, float]:
    """Run `cmd`; return (wall seconds, peak resident memory in MiB of the process and its children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    stop = threading.Event()

    def sample():
        nonlocal peak
        p = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [p, *p.children(recursive=True)]
                rss = sum(c.memory_info().rss for c in procs if c.is_running())
                peak = max(peak, rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    _, err = proc.communicate()
    stop.set()
    t.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    return wall, peak


def demo_store(path: Path, extra: int = 0, cities_dir: Path | None = None) -> str:
    """A fresh store with the synthetic demo data (and `extra` synthetic cities). Returns its URL."""
    url = f"sqlite:///{path}"
    cmd = [str(BIN / "icf"), "demo-data", "--store", url]
    if extra:
        cmd += ["--extra-cities", str(extra), "--cities-dir", str(cities_dir)]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return url
