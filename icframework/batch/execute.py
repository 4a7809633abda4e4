"""Executing one notebook of a batch (in a worker process): run it in a staging folder, render its briefs, then
move its files into place.

Each city's outputs appear whole in ``<build>/<round>/<city>/``: the executed ``diagnostic.ipynb``,
``diagnostics.json``, ``brief.html`` and ``brief.pdf``. A notebook runs in a hidden staging folder beside them; its
files move into place (``os.replace``) only when the city succeeded. A failed city keeps its old outputs and
leaves its executed notebook as ``diagnostic.failed.ipynb``.

Speed: with the ``warm`` engine, each worker process imports pandas and icframework once and runs notebook after
notebook in a fresh namespace (`icframework.batch.engine`); ``engine="kernel"`` starts a real Jupyter kernel per
notebook instead (papermill's default engine), retrying kernel start-up races.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import random
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import outputs
from .plan import MANIFEST, Job, complete_manifest, read_manifest


@dataclass(frozen=True)
class JobResult:
    name: str
    status: str  # ok | skipped | failed
    seconds: float = 0.0
    cell: int | None = None  # index of the failing cell in the executed notebook
    exec_count: int | None = None  # its execution count (the "In [n]" shown in Jupyter)
    error: str | None = None  # "ValueError: no answers for ..."
    notebook: str | None = None  # the executed notebook kept for inspection when failed
    why: tuple[str, ...] = ()  # why it ran ("its answers changed", ...), set by the planner



_JOB_LOCK = threading.Lock()  # one job at a time per process (the cwd and the warm shell are process-wide)


def warm_worker(engine: str) -> None:
    """Prepare a worker process: import what every notebook needs, once."""
    from .engine import warm_up

    if engine == "warm":
        warm_up()
        from ..analysis.reports import share_round_work

        share_round_work()  # the round's figures once per worker, not a filter per city
    else:
        warm_up(("papermill", "icframework.render"))


def local_worker(engine: str, plan_dir: str | None = None) -> None:
    """Initialise one of our own worker processes. jsonschema imports rfc3987_syntax (when installed) only to
    check the "iri" string format, and building its grammar costs about 3 s per process; no workbook checks
    IRIs, so our workers do without it."""
    sys.modules.setdefault("rfc3987_syntax", None)
    warm_worker(engine)
    if plan_dir:  # the batch's processes share the round's peer plan through this folder (exchange.matched)
        from ..analysis import exchange

        exchange.PLAN_CACHE["dir"] = plan_dir


def remove_staging(folder: str | Path) -> None:
    """Remove the staging folders a killed run left in an output folder (and the half-made files in them); a URL
    stages elsewhere (outputs.py), so there is nothing to remove there."""
    if outputs.is_url(folder):
        return
    for stale in Path(folder).glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def run_job(job: Job, run: str | None = None) -> JobResult:
    """Execute one notebook into a staging folder, render it, then move its files into place. `run` names the
    batch run in the job's manifest (see `published_in`)."""
    start = time.perf_counter()
    final = job.out_dir  # a folder, or a URL (outputs.py)
    remove_staging(final)
    staging = outputs.staging_folder(final)
    executed = staging / f"{job.stem}.ipynb"
    try:
        with _JOB_LOCK:
            peers = _peers(job)  # before the notebook, which then finds the round's plan made
            _execute(job, executed, staging)
            _render(job, staging)
        before = _made(final)
        outputs.remove(final, MANIFEST)  # a crash while publishing means: run again next time
        names = _publish(staging, final)
        for gone in sorted(set(before) - set(names)):  # e.g. the brief of a language no longer asked for
            outputs.remove(final, gone)
        manifest = {"inputs": {**job.inputs, **peers}, "outputs": names, "engine": job.engine,
                    "seconds": round(time.perf_counter() - start, 3),
                    "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "run": run}
        outputs.write_bytes(final, MANIFEST, json.dumps(manifest, indent=1).encode())
        outputs.remove(final, f"{job.stem}.failed.ipynb")
        return JobResult(job.name, "ok", time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - one city's failure is reported, never raised
        from papermill.exceptions import PapermillExecutionError

        kept = None
        if executed.exists():
            outputs.put(executed, final, f"{job.stem}.failed.ipynb")
            kept = outputs.join(final, f"{job.stem}.failed.ipynb")
        seconds = time.perf_counter() - start
        if isinstance(exc, PapermillExecutionError):
            return JobResult(job.name, "failed", seconds, exc.cell_index, exc.exec_count,
                             f"{exc.ename}: {exc.evalue}", kept)
        return JobResult(job.name, "failed", seconds, error=f"{type(exc).__name__}: {exc}", notebook=kept)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def published_in(job: Job, run: str) -> bool:
    """True when the batch run `run` already published the job's outputs (all of them still there): its worker
    was lost after publishing but before the client heard of it."""
    manifest = complete_manifest(job)
    return manifest is not None and manifest.get("run") == run


_STORES: dict = {}  # one open store per worker process (for the store's revision and the round's plan)


def _peers(job: Job) -> dict:
    """{"peers": digest} of what the city's brief shows of the round's peer plan (plan.peer_digests); {} for the
    convening. Worked out before the notebook runs: the plan is kept per store revision (exchange.kept_plan), so
    the notebook uses the same one, and on a batch's processes it is made once (exchange.PLAN_CACHE)."""
    if job.stem != "diagnostic":
        return {}
    from ..analysis.exchange import kept_plan
    from ..store import Store
    from .plan import peer_digest

    url = job.parameters["store_url"]
    try:
        if url not in _STORES:
            for old in _STORES.values():
                old.close()
            _STORES.clear()
            _STORES[url] = Store(url, create=False)
        plan = kept_plan(_STORES[url], job.parameters["round_id"])
        return {"peers": peer_digest(plan, job.name, Path(job.parameters["cities_dir"]))}
    except Exception:  # noqa: BLE001 - not known: the next run checks this city's peers again and re-runs it
        _STORES.clear()
        return {"peers": "unknown"}


def _execute(job: Job, executed: Path, staging: Path) -> None:
    import papermill as pm

    kwargs = {"parameters": {**job.parameters, "output_dir": str(staging)}, "progress_bar": False,
              "request_save_on_cell_execute": False, "cwd": job.cwd}
    if job.engine == "warm":
        pm.execute_notebook(job.notebook, str(executed), engine_name="icf-warm", **kwargs)
    else:
        with_kernel_retry(lambda: pm.execute_notebook(job.notebook, str(executed), start_timeout=60, **kwargs))


def with_kernel_retry(run, attempts: int = 4):
    """Call `run`, again when a kernel failed to start because of a port clash or a start-up race."""
    for attempt in range(1, attempts + 1):
        try:
            return run()
        except Exception as exc:
            if attempt == attempts or not is_kernel_start_race(exc):
                raise
            time.sleep(0.2 * attempt + random.random() * 0.3)  # jitter: parallel workers must not collide again


def is_kernel_start_race(exc: BaseException) -> bool:
    """A kernel that could not bind its ZMQ ports (EADDRINUSE), or died or hung before answering kernel_info."""
    import zmq

    if isinstance(exc, zmq.ZMQError):
        return exc.errno == errno.EADDRINUSE
    text = str(exc)
    return isinstance(exc, RuntimeError | TimeoutError) and (
        "before replying to kernel_info" in text or "didn't respond" in text or "Address already in use" in text)


def _made(final: str) -> list[str]:
    """The files the last successful run published into `final` (its manifest's list)."""
    return list(read_manifest(final).get("outputs") or [])


def _render(job: Job, folder: Path) -> None:
    """Call icframework.render.<job.render>(folder, ...): the HTML and PDF briefs, in the job's languages."""
    if not job.render:
        return
    from .. import render

    getattr(render, job.render)(folder, job.languages or None, tuple(map(Path, job.locale)),
                                job.default_languages)


def _publish(staging: Path, final: str) -> list[str]:
    """Move every output from the staging folder into place, each one whole (outputs.put)."""
    names = []
    for path in sorted(staging.iterdir()):
        outputs.put(path, final, path.name)
        names.append(path.name)
    return names


