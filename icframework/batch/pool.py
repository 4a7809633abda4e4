"""Batch runs: execute the city workbook for every city of a round, in parallel, then the convening workbook.

    settings = Settings.from_environment()
    result = run_batch("virtual-2020", settings=settings, jobs=2)   # or: icf run --round virtual-2020 --jobs 2
    print(result.summary())

Planning (plan.py) checks everything and skips unchanged cities before any worker starts; each notebook is then
executed and rendered by a worker (execute.py): one of a pool of warm local processes, or a Dask cluster.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..analysis import exchange
from ..config import Settings
from ..errors import ICFError
from . import outputs
from .execute import JobResult, local_worker, remove_staging, run_job
from .plan import CONVENING, Job, check_peers, plan_batch, reasons, recorded_inputs
from .progress import progress_bar

EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class BatchResult:
    round_id: str
    out_dir: str
    cities: tuple[JobResult, ...]
    convening: JobResult | None
    seconds: float

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in (*self.cities, self.convening) if r is not None and r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.cities)

    def summary(self) -> str:
        lines = [f"{self.round_id}: {len(self.cities)} cities in {self.seconds:.1f} s: {self.count('ok')} ran, "
                 f"{self.count('skipped')} skipped (unchanged), {self.count('failed')} failed"
                 + (f"; convening {self.convening.status}" if self.convening else "")]
        lines += self.why_lines()
        for r in self.failed:
            where = f"cell {r.cell} (In [{r.exec_count}]): " if r.cell is not None else ""
            lines.append(f"  FAILED {r.name}: {where}{r.error}")
            if r.notebook:
                lines.append(f"         executed notebook kept: {r.notebook}")
        lines.append(f"Outputs in {outputs.join(self.out_dir, self.round_id)}/")
        return "\n".join(lines)

    def why_lines(self, most: int = 8) -> list[str]:
        """What ran and why, one line per reason: "  ran, its answers changed: cardiff" (at most `most` names a
        line, then how many more)."""
        by_reason: dict[str, list[str]] = {}
        for r in self.cities:
            if r.status != "skipped":
                for why in r.why or ("--force",):
                    by_reason.setdefault(why, []).append(r.name)
        lines = []
        for why, names in by_reason.items():
            more = f" and {len(names) - most} more" if len(names) > most else ""
            lines.append(f"  ran, {why}: {', '.join(names[:most])}{more}"
                         + (f" ({len(names)} cities)" if more else ""))
        if self.convening is not None and self.convening.status != "skipped":
            why = list(self.convening.why or ("--force",))
            more = f" and {len(why) - most} more" if len(why) > most else ""
            lines.append(f"  ran convening: {'; '.join(why[:most])}{more}")
        return lines


def run_batch(round_id: str, cities: list[str] | None = None, *, settings: Settings, jobs: int = 2,
              force: bool = False, executor: str = "local", scheduler: str | None = None, engine: str = "warm",
              progress: bool = True, notebook: str | Path | None = None,
              convening_notebook: str | Path | None = None, convening: bool = True,
              render: bool = True, worker_timeout: float = 60.0, languages: tuple[str, ...] = ()) -> BatchResult:
    """Run the city workbook for `cities` (default: every city with respondents in the round) and then the
    convening workbook (unless `convening` is false), making the HTML and PDF briefs of each (unless `render` is
    false). Bad parameters raise ICFError before anything runs; a failing city does not stop the others (see
    `BatchResult.failed`).

    `notebook` and `convening_notebook` replace the workbooks (same parameters). On a Dask cluster, `jobs` does
    not apply (the cluster's worker processes run one notebook at a time each) and the run stops when no worker
    has been there for `worker_timeout` seconds (see batch/cluster.py). From a script, call this under
    ``if __name__ == "__main__":`` (the local workers are started with multiprocessing's spawn method)."""
    start = time.perf_counter()
    if executor not in EXECUTORS:
        raise ICFError(f"unknown executor {executor!r}: use {' or '.join(EXECUTORS)}")
    if executor == "dask" and not scheduler:
        raise ICFError("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
    if jobs < 1:
        raise ICFError("jobs must be at least 1")
    plan_dir = tempfile.mkdtemp(prefix="icf-plans-")  # the round's peer plan, made once for all processes
    exchange.PLAN_CACHE["dir"] = plan_dir
    try:
        return _run(round_id, cities, settings, jobs, force, executor, scheduler, engine, progress, notebook,
                    convening_notebook, convening, render, worker_timeout, plan_dir, start, languages)
    finally:
        exchange.PLAN_CACHE["dir"] = None
        shutil.rmtree(plan_dir, ignore_errors=True)


def _run(round_id, cities, settings, jobs, force, executor, scheduler, engine, progress, notebook,
         convening_notebook, convening, render, worker_timeout, plan_dir, start, languages=()) -> BatchResult:
    city_jobs, conv_job = plan_batch(round_id, cities, settings, engine=engine, notebook=notebook,
                                     convening_notebook=convening_notebook, convening=convening, render=render,
                                     languages=languages)
    results: dict[str, JobResult] = {}
    for job in (*city_jobs, conv_job):  # what an earlier run left when it was killed, skipped cities' too
        if job is not None:
            remove_staging(job.out_dir)
    everyone = [j for j in (*city_jobs, conv_job) if j is not None]
    recorded = {j.name: None if force else recorded_inputs(j) for j in everyone}
    why = {j.name: [] if force else reasons(j, recorded[j.name]) for j in everyone}
    # Jobs with a reason start now, the convening first: it reads the store itself and needs no city's outputs,
    # so it runs beside the cities and never waits for (nor holds up) the last of them. The cities that would
    # be skipped are checked against the round's peer plan meanwhile (`later`), which takes seconds for 500
    # cities, and those whose pairs changed are added then.
    todo = sorted((j for j in everyone if force or why[j.name]), key=lambda j: j is not conv_job)
    waiting = [] if force else [j for j in city_jobs if not why[j.name] and recorded[j.name] is not None]

    def later() -> list[Job]:
        if not waiting:
            return []
        check_peers([j for j in city_jobs if recorded[j.name] is not None], recorded, why, settings, round_id)
        return [j for j in waiting if why[j.name]]

    if not todo:  # nothing to overlap the check with
        todo, waiting = later(), []
    conv_result = None if conv_job in todo else (JobResult(CONVENING, "skipped") if conv_job else None)
    if todo:
        bar = progress_bar(len(todo), "notebooks", desc=f"icf run {round_id}") if progress \
            else contextlib.nullcontext(None)
        n = min(jobs, max(len(todo) + len(waiting), 1))
        started: list[Job] = []
        try:
            with bar as tick_bar, _workers(executor, scheduler, n, engine, worker_timeout, plan_dir) as run:
                def tick(k=1):
                    if tick_bar is not None:
                        tick_bar(k)

                def more() -> list[Job]:
                    extra = later()
                    started.extend(extra)
                    if extra and tick_bar is not None:
                        tick_bar.grow(len(extra))
                    return extra

                started.extend(todo)
                for result in run(todo, tick, more):
                    result = replace(result, why=tuple(why.get(result.name, ())))
                    if conv_job is not None and result.name == conv_job.name:
                        conv_result = result
                    else:
                        results[result.name] = result
        finally:  # stopped (Ctrl-C, a lost cluster): leave no half-made folders behind
            for job in started:
                remove_staging(job.out_dir)
    for job in city_jobs:
        results.setdefault(job.name, JobResult(job.name, "skipped"))
    ordered = tuple(results[job.name] for job in city_jobs)
    return BatchResult(round_id, str(settings.build), ordered, conv_result, time.perf_counter() - start)


@contextlib.contextmanager
def _workers(executor: str, scheduler: str | None, n: int, engine: str, worker_timeout: float,
             plan_dir: str | None = None):
    """Yield run(jobs, tick) -> results as they finish, on a pool of warm local processes or a Dask cluster."""
    if executor == "dask":
        try:
            from .cluster import connect, run_on_cluster
        except ImportError:
            raise ICFError("--executor dask needs dask.distributed: pip install 'icframework[dask]'") from None
        client = connect(scheduler, engine, timeout=worker_timeout)
        try:
            yield lambda jobs, tick, more=None: run_on_cluster(client, jobs, tick, worker_timeout, more)
        finally:
            client.close()
    else:
        pool = concurrent.futures.ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                                                      initializer=local_worker, initargs=(engine, plan_dir))
        try:
            yield lambda jobs, tick, more=None: _run_local(pool, jobs, tick, more)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_local(pool, jobs: list[Job], tick, more=None):
    """Submit `jobs` (then those `more()` returns, worked out while the first run) and yield their results as
    they finish; a crashed worker fails only its own results."""
    futures = {}
    failed = []
    for job in jobs:
        try:
            futures[pool.submit(run_job, job)] = job
        except Exception as exc:  # noqa: BLE001 - e.g. the pool broke because a worker was killed
            failed.append(_worker_failed(job, exc))
    for job in more() if more else []:
        try:
            futures[pool.submit(run_job, job)] = job
        except Exception as exc:  # noqa: BLE001
            failed.append(_worker_failed(job, exc))
    for result in failed:
        tick()
        yield result
    for future in concurrent.futures.as_completed(list(futures)):
        job = futures[future]
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001
            result = _worker_failed(job, exc)
        tick()
        yield result


def _worker_failed(job: Job, exc: Exception) -> JobResult:
    return JobResult(job.name, "failed", error=f"worker failed: {type(exc).__name__}: {exc}")
