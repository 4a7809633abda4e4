"""`icf run` on a real Dask cluster: a scheduler and two workers started with the `dask` command line on loopback
ports, workers killed mid-run. Slow (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from conftest import free_port

from icframework.batch.pool import run_batch
from icframework.config import Settings
from icframework.store import Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CITIES = ["belfast", "birmingham", "brighton", "bristol", "cardiff", "glasgow", "liverpool", "london"]
DASK = str(Path(sys.executable).parent / "dask")

# A stand-in city workbook: takes a second, then records that it finished (one line per finished run).
SLOW_CITY = [
    "city = 'x'\nround_id = 'r'\nstore_url = None\ncities_dir = None\nprogramme_dir = None\noutput_dir = '.'",
    "import json, os, time\nfrom pathlib import Path\n"
    "time.sleep(1.0)\n"
    "(Path(output_dir) / 'diagnostics.json').write_text(json.dumps({'city': city}))\n"
    "with open(Path(output_dir).parents[1] / 'finished.log', 'a') as log:\n"
    "    log.write(f'{city} {os.getpid()}\\n')",
]


@pytest.fixture
def notebook(tmp_path) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SLOW_CITY[0], metadata={"tags": ["parameters"]}),
                                         nbformat.v4.new_code_cell(SLOW_CITY[1])])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "slow_city.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def settings(tmp_path) -> Settings:
    url = f"sqlite:///{tmp_path / 'icf.sqlite3'}"
    store = Store(url)
    store.create_round("r", "inclusive-cities", title="A round")
    for city in CITIES:
        store.add_respondent("r", city, "local-authority", with_code=False)
    store.close()
    return Settings(url, cities=ROOT / "cities", workbooks=ROOT / "workbooks", build=tmp_path / "build")


class Cluster:
    """`dask scheduler` and `dask worker` processes on loopback, stopped at the end."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.log = tmp_path / "dask.log"
        self.procs: list[subprocess.Popen] = []
        self.start([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"])
        self.wait_for("Scheduler at")

    def start(self, argv) -> subprocess.Popen:
        with open(self.log, "ab") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def worker(self) -> subprocess.Popen:
        return self.start([DASK, "worker", self.address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads",
                           "1", "--no-dashboard", "--no-nanny"])

    def wait_for(self, text: str, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.log.read_text(errors="replace").count(text) < count:
            assert time.monotonic() < deadline, self.log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.close()


def finished(settings) -> list[str]:
    """The cities whose notebook ran to the end, once per run."""
    return [city for city, _pid in runs(settings)]


def published(settings) -> set[str]:
    """The cities whose outputs are in place (their manifest is written last)."""
    return {p.parent.name for p in (settings.build / "r").glob("*/.inputs.json")}


def runs(settings) -> list[tuple[str, int]]:
    log = settings.build / "r" / "finished.log"
    return [(c, int(p)) for c, p in (line.split() for line in log.read_text().splitlines())] if log.exists() else []


def run_in_background(settings, notebook, **kw):
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=run_batch(
        "r", CITIES, settings=settings, executor="dask", scheduler=kw.pop("scheduler"), notebook=notebook,
        convening=False, render=False, progress=False, **kw)))
    thread.start()
    return thread, box


def kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_a_worker_killed_mid_run_costs_only_its_own_city(cluster, settings, notebook):
    first, second = cluster.worker(), cluster.worker()
    cluster.wait_for("Starting established connection", count=2)
    thread, box = run_in_background(settings, notebook, scheduler=cluster.address, worker_timeout=60)
    deadline = time.monotonic() + 120
    while not {pid for _city, pid in runs(settings)} >= {first.pid, second.pid}:
        assert time.monotonic() < deadline, cluster.log.read_text()[-3000:]
        time.sleep(0.1)
    before = published(settings)
    kill(first)  # it holds the results of the cities it finished, and is running one more
    thread.join(300)
    result = box["result"]
    assert result.ok, result.summary()
    ran = finished(settings)
    assert set(ran) == set(CITIES) and before
    assert all(ran.count(c) == 1 for c in before)  # no city that had finished ran again
    assert all((settings.build / "r" / c / "diagnostics.json").is_file() for c in CITIES)
    assert not list(settings.build.rglob(".staging-*"))
    assert second.poll() is None


def test_losing_every_worker_stops_cleanly_and_a_later_run_finishes_the_rest(cluster, settings, notebook):
    only = cluster.worker()
    cluster.wait_for("Starting established connection")
    thread, box = run_in_background(settings, notebook, scheduler=cluster.address, worker_timeout=5)
    deadline = time.monotonic() + 120
    while len(published(settings)) < 2:
        assert time.monotonic() < deadline, cluster.log.read_text()[-3000:]
        time.sleep(0.1)
    killed_at = time.monotonic()
    kill(only)
    thread.join(120)
    assert not thread.is_alive() and time.monotonic() - killed_at < 60
    result = box["result"]
    done = [r.name for r in result.cities if r.status == "ok"]
    missing = [r for r in result.cities if r.status == "failed"]
    assert not result.ok and len(done) >= 2 and missing
    assert all("no Dask worker for 5 s" in r.error for r in missing)
    assert not list(settings.build.rglob(".staging-*"))  # nothing half-made left behind

    cluster.worker()
    again = run_batch("r", CITIES, settings=settings, executor="dask", scheduler=cluster.address,
                      notebook=notebook, convening=False, render=False, progress=False, worker_timeout=60)
    assert again.ok, again.summary()
    assert sorted(r.name for r in again.cities if r.status == "skipped") == sorted(done)
    assert sorted(r.name for r in again.cities if r.status == "ok") == sorted(r.name for r in missing)
    ran = finished(settings)
    assert set(ran) == set(CITIES) and all(ran.count(c) == 1 for c in done)  # finished cities never ran again


def test_a_rerun_of_a_city_this_run_published_does_not_run_it_again(settings, notebook):
    """Dask reruns a task whose worker died after publishing its city but before the client heard of it: the
    manifest names the run, so the rerun finds the city done; another run (or a run without a name) runs it."""
    from icframework.batch.cluster import run_once
    from icframework.batch.execute import published_in
    from icframework.batch.plan import plan_batch

    job = next(j for j in plan_batch("r", ["cardiff"], settings, notebook=notebook, convening=False,
                                     render=False)[0])
    assert not published_in(job, "first")
    assert run_once(job, "first").status == "ok" and finished(settings) == ["cardiff"]
    assert published_in(job, "first") and not published_in(job, "second")
    assert run_once(job, "first").status == "ok" and finished(settings) == ["cardiff"]  # not run again
    assert run_once(job, "second").status == "ok" and finished(settings) == ["cardiff", "cardiff"]
    (settings.build / "r" / "cardiff" / "diagnostics.json").unlink()  # an output gone: not published any more
    assert not published_in(job, "second")
