"""Batch runs: execute the city workbook for every city of a round, in parallel, then the convening workbook.

    result = run_batch("virtual-2020", jobs=2)          # or: icf run --round virtual-2020 --jobs 2
    print(result.summary())

Each city's outputs appear whole in ``<out>/<round>/<city>/``: the executed ``diagnostic.ipynb``,
``diagnostics.json`` and, when `icframework.render` is installed, ``brief.html`` and ``brief.pdf``. A notebook runs
in a hidden staging folder beside them; its files move into place (``os.replace``) only when the city succeeded.
A failed city keeps its old outputs and leaves its executed notebook as ``diagnostic.failed.ipynb``.

A city is skipped when its inputs are unchanged since its last successful run (``--force`` runs it anyway). The
inputs, recorded in ``<out>/<round>/<city>/.inputs.json``, are: the city's respondents and answers in this round and
every earlier round (content, not timestamps), the round's framework file, the files of the city's folder,
``convenings.yaml``, the workbook file, the icframework package (version and a digest of its files), and, because a
brief names peer cities and suggests practices, every city's answers in the round and the user's practice files.

Speed: with the default ``warm`` engine, each worker process imports pandas, altair and icframework once and runs
notebook after notebook in a fresh namespace (`icframework.engine`); ``engine="kernel"`` starts a real Jupyter
kernel per notebook instead (papermill's default engine), retrying kernel start-up races.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import errno
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .cities import cities_dir, city_slugs, load_city
from .errors import ICFError
from .exports import atomic_write
from .slugs import check_slug

ENGINES = ("warm", "kernel")
EXECUTORS = ("local", "dask")
MANIFEST = ".inputs.json"
PACKAGE = Path(__file__).resolve().parent
CONVENING = "convening"


def workbooks_dir() -> Path:
    """Where the workbooks live: $ICF_WORKBOOKS, else ./workbooks, else the repository's workbooks/."""
    env = os.environ.get("ICF_WORKBOOKS")
    if env:
        return Path(env)
    here = Path.cwd() / "workbooks"
    return here if here.is_dir() else PACKAGE.parent / "workbooks"


@dataclass(frozen=True)
class Job:
    """One notebook to run: everything a worker needs, in plain values (it may travel to a Dask worker)."""

    name: str  # a city slug, or "convening"
    notebook: str  # the workbook to execute
    parameters: dict  # papermill parameters; output_dir is added by the worker
    out_dir: str  # final folder for the outputs
    stem: str  # the executed notebook is <stem>.ipynb ("diagnostic" or "convening")
    inputs: dict  # what the outputs depend on (recorded in .inputs.json on success)
    engine: str = "warm"
    env: dict = field(default_factory=dict)  # environment variables for the run (ICF_CITIES)
    cwd: str = "."
    render: str | None = "city_outputs"  # icframework.render function to call on the outputs (if it exists)


@dataclass(frozen=True)
class JobResult:
    name: str
    status: str  # ok | skipped | failed
    seconds: float = 0.0
    cell: int | None = None  # index of the failing cell in the executed notebook
    exec_count: int | None = None  # its execution count (the "In [n]" shown in Jupyter)
    error: str | None = None  # "ValueError: no answers for ..."
    notebook: str | None = None  # the executed notebook kept for inspection when failed


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
        for r in self.failed:
            where = f"cell {r.cell} (In [{r.exec_count}]): " if r.cell is not None else ""
            lines.append(f"  FAILED {r.name}: {where}{r.error}")
            if r.notebook:
                lines.append(f"         executed notebook kept: {r.notebook}")
        lines.append(f"Outputs in {Path(self.out_dir) / self.round_id}/")
        return "\n".join(lines)


def run_batch(round_id: str, cities: list[str] | None = None, jobs: int = 2, force: bool = False,
              store_url: str | None = None, out_dir: str | Path = "build", executor: str = "local",
              scheduler: str | None = None, engine: str = "warm", progress: bool = True, *,
              notebook: str | Path | None = None, convening_notebook: str | Path | None = None,
              convening: bool = True, render: bool = True) -> BatchResult:
    """Run the city workbook for `cities` (default: every city with respondents in the round) and then the
    convening workbook (unless `convening` is false), making the HTML and PDF briefs of each (unless `render` is
    false). Bad parameters raise ICFError before anything runs; a failing city does not stop the others (see
    `BatchResult.failed`).

    `notebook` and `convening_notebook` replace the workbooks (same parameters). From a script, call this under
    ``if __name__ == "__main__":`` (the local workers are started with multiprocessing's spawn method)."""
    start = time.perf_counter()
    if executor not in EXECUTORS:
        raise ICFError(f"unknown executor {executor!r}: use {' or '.join(EXECUTORS)}")
    if executor == "dask" and not scheduler:
        raise ICFError("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
    if jobs < 1:
        raise ICFError("jobs must be at least 1")
    city_jobs, conv_job = plan_batch(round_id, cities, store_url=store_url, out_dir=out_dir, engine=engine,
                                     notebook=notebook, convening_notebook=convening_notebook,
                                     convening=convening, render=render)
    results: dict[str, JobResult] = {}
    todo = []
    for job in city_jobs:
        if not force and up_to_date(job):
            results[job.name] = JobResult(job.name, "skipped")
        else:
            todo.append(job)
    conv_result = None
    if conv_job and not force and up_to_date(conv_job):
        conv_result, conv_job = JobResult(CONVENING, "skipped"), None
    if todo or conv_job:
        from .progress import progress_bar

        bar = progress_bar(len(todo) + bool(conv_job), "notebooks", desc=f"icf run {round_id}") if progress \
            else contextlib.nullcontext(lambda n=1: None)
        with bar as tick, _workers(executor, scheduler, min(jobs, max(len(todo), 1)), engine) as (submit, done):
            for result in _run_all(submit, done, todo, tick):
                results[result.name] = result
            if conv_job:
                [conv_result] = _run_all(submit, done, [conv_job], tick)
    ordered = tuple(results[job.name] for job in city_jobs)
    return BatchResult(round_id, str(Path(out_dir)), ordered, conv_result, time.perf_counter() - start)


# -- planning (in the calling process; raises before anything runs) ------------------------------------------
def plan_batch(round_id: str, cities: list[str] | None = None, *, store_url: str | None = None,
               out_dir: str | Path = "build", engine: str = "warm", notebook: str | Path | None = None,
               convening_notebook: str | Path | None = None, convening: bool = True,
               render: bool = True) -> tuple[list[Job], Job | None]:
    """Check every parameter and work out each notebook's inputs. Raises ICFError on the first bad one."""
    from .store import Store, default_url

    check_slug(round_id, "round")
    if engine not in ENGINES:
        raise ICFError(f"unknown engine {engine!r}: use {' or '.join(ENGINES)}")
    if cities is not None:
        cities = list(dict.fromkeys(cities))  # a city named twice runs once
        for slug in cities:
            load_city(slug)  # checks the slug, then that the city exists (with the list of known cities)
        if not cities:
            raise ICFError("no cities given: name at least one, or leave out --cities to run them all")
    notebook = Path(notebook or workbooks_dir() / "city_diagnostic.ipynb").resolve()
    conv_nb = Path(convening_notebook or workbooks_dir() / "convening_brief.ipynb").resolve()
    for nb in (notebook, conv_nb) if convening else (notebook,):
        if not nb.is_file():
            raise ICFError(f"workbook {nb} not found; run from the project folder or set $ICF_WORKBOOKS")
    store_url = _absolute_url(store_url or default_url())
    if store_url.startswith("sqlite:///") and not Path(store_url.removeprefix("sqlite:///")).is_file():
        raise ICFError(f"no answer store at {store_url}: give --store (or $ICF_STORE_URL), or make one with "
                       "`icf demo-data`")
    store = Store(store_url)
    try:
        rnd = store.get_round(round_id)  # NotFoundError names the rounds that exist
        round_ids = [r.id for r in store.list_rounds()]
        upto = round_ids[: round_ids.index(round_id) + 1]
        digests = answer_digests(store, upto)
        if cities is None:
            known = set(city_slugs())
            cities = sorted(set(store.respondents_frame(round_id)["city"]) & known)
            if not cities:
                raise ICFError(f"no city in {cities_dir()} has respondents in round {round_id!r}; "
                               "add respondents first, or name cities with --cities")
    finally:
        store.close()
    out_root = Path(out_dir).resolve() / round_id
    common = {
        "render": render,
        "framework": _file_digest(_framework_path(rnd.framework)),
        "convenings": _file_digest(cities_dir() / "convenings.yaml"),
        "icframework": package_digest(),
        # A city's brief also names its peers (matched on every city's scores) and suggests practices, so a
        # change in any city of the round or in the user's practice files re-runs every city.
        "round_answers": _digest(json.dumps(sorted(digests.items())).encode()),
        "practices": _digest(json.dumps([_file_digest(cities_dir() / "practices.yaml"),
                                         _tree_digest(cities_dir() / "practices")]).encode()),
    }
    env = {"ICF_CITIES": str(cities_dir().resolve())}
    jobs = []
    for slug in cities:
        inputs = {"round": round_id, "city": slug, "answers": digests.get(slug, "none"),
                  "city_files": _tree_digest(cities_dir() / slug), "workbook": _file_digest(notebook), **common}
        jobs.append(Job(slug, str(notebook), {"city": slug, "round_id": round_id, "store_url": store_url},
                        str(out_root / slug), "diagnostic", inputs, engine, env, os.getcwd(),
                        "city_outputs" if render else None))
    conv_job = None
    if convening:
        inputs = {"round": round_id, "cities": list(cities), "workbook": _file_digest(conv_nb),
                  "answers": _digest(json.dumps([digests.get(c, "none") for c in cities]).encode()),
                  "city_files": _digest(json.dumps([_tree_digest(cities_dir() / c) for c in cities]).encode()),
                  **common}
        conv_job = Job(CONVENING, str(conv_nb), {"round_id": round_id, "cities": list(cities),
                                                 "store_url": store_url},
                       str(out_root / CONVENING), CONVENING, inputs, engine, env, os.getcwd(),
                       "convening_outputs" if render else None)
    return jobs, conv_job


def answer_digests(store, round_ids: list[str]) -> dict[str, str]:
    """A digest per city of its respondents and answers in `round_ids` (content only: ids and times excluded).
    One query for all cities, so planning 500 cities costs about as much as planning 12."""
    import pandas as pd

    answers = store.answers_frame()
    answers = answers[answers["round"].isin(round_ids)]
    people = store.respondents_frame()
    people = people[people["round"].isin(round_ids)]
    cols_a = ["round", "respondent", "sector", "role", "status", "question", "response", "level", "evidence",
              "links", "comment", "synthetic"]
    cols_p = ["round", "label", "sector", "role", "status", "synthetic"]
    row_hashes = {
        "answers": answers.assign(h=pd.util.hash_pandas_object(answers[cols_a].astype(str), index=False)),
        "people": people.sort_values(["round", "label"]).assign(
            h=lambda d: pd.util.hash_pandas_object(d[cols_p].astype(str), index=False)),
    }
    digests = {}
    for frame in row_hashes.values():
        for city, group in frame.groupby("city", sort=True):
            digests.setdefault(city, hashlib.sha256()).update(group["h"].to_numpy().tobytes())
    return {city: h.hexdigest() for city, h in digests.items()}


def package_digest() -> str:
    """icframework's version and a digest of its files: a code change re-runs every notebook."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("icframework")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        v = "unknown"
    return f"{v}+{_tree_digest(PACKAGE)[:16]}"


def up_to_date(job: Job) -> bool:
    """True when the job's last successful run had the same inputs and its outputs are all still there."""
    try:
        manifest = json.loads((Path(job.out_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    outputs = manifest.get("outputs") or []
    return manifest.get("inputs") == job.inputs and bool(outputs) and all(
        (Path(job.out_dir) / name).exists() for name in outputs)


def _absolute_url(url: str) -> str:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        return f"sqlite:///{Path(url.removeprefix('sqlite:///')).resolve()}"
    return url


def _framework_path(name: str) -> Path:
    from .framework import BUNDLED

    path = Path(name)
    return path if path.suffix in (".yaml", ".yml") else BUNDLED / f"{name}.yaml"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str:
    return _digest(path.read_bytes()) if path.is_file() else "missing"


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc"):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# -- executing (in the worker processes) ---------------------------------------------------------------------
_JOB_LOCK = threading.Lock()  # one job at a time per process (env, cwd and the warm shell are process-wide)


def warm_worker(engine: str) -> None:
    """Prepare a worker process: import what every notebook needs, once."""
    from .engine import warm_up

    if engine == "warm":
        warm_up()
    else:
        warm_up(("papermill", "icframework.render"))


def _local_worker(engine: str) -> None:
    """Initialise one of our own worker processes. jsonschema imports rfc3987_syntax (when installed) only to
    check the "iri" string format, and building its grammar costs about 3 s per process; no workbook checks
    IRIs, so our workers do without it."""
    sys.modules.setdefault("rfc3987_syntax", None)
    warm_worker(engine)


def run_job(job: Job) -> JobResult:
    """Execute one notebook into a staging folder, render it, then move its files into place."""
    start = time.perf_counter()
    final = Path(job.out_dir)
    final.mkdir(parents=True, exist_ok=True)
    for stale in final.glob(".staging-*"):  # left behind by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=final))
    executed = staging / f"{job.stem}.ipynb"
    try:
        with _JOB_LOCK, _environment(job.env):
            _execute(job, executed, staging)
            _render(job.render, staging)
        (final / MANIFEST).unlink(missing_ok=True)  # a crash while publishing means: run again next time
        outputs = _publish(staging, final)
        manifest = {"inputs": job.inputs, "outputs": outputs, "engine": job.engine,
                    "seconds": round(time.perf_counter() - start, 3),
                    "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        atomic_write(final / MANIFEST, json.dumps(manifest, indent=1).encode())
        (final / f"{job.stem}.failed.ipynb").unlink(missing_ok=True)
        return JobResult(job.name, "ok", time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - one city's failure is reported, never raised
        from papermill.exceptions import PapermillExecutionError

        kept = None
        if executed.exists():
            kept = str(final / f"{job.stem}.failed.ipynb")
            os.replace(executed, kept)
        seconds = time.perf_counter() - start
        if isinstance(exc, PapermillExecutionError):
            return JobResult(job.name, "failed", seconds, exc.cell_index, exc.exec_count,
                             f"{exc.ename}: {exc.evalue}", kept)
        return JobResult(job.name, "failed", seconds, error=f"{type(exc).__name__}: {exc}", notebook=kept)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _environment(env: dict):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


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


def _render(name: str | None, folder: Path) -> None:
    """Call icframework.render.<name>(folder) (HTML and PDF briefs) when that module exists."""
    if not name:
        return
    try:
        from . import render
    except ModuleNotFoundError as exc:
        if exc.name == f"{__package__}.render":
            return
        raise
    fn = getattr(render, name, None)
    if fn is not None:
        fn(folder)


def _publish(staging: Path, final: Path) -> list[str]:
    """Move every output from the staging folder into place, each one atomically (os.replace)."""
    names = []
    for path in sorted(staging.iterdir()):
        target = final / path.name
        if path.is_dir() and target.is_dir():
            shutil.rmtree(target)
        os.replace(path, target)
        names.append(path.name)
    return names


# -- the worker pool -----------------------------------------------------------------------------------------
@contextlib.contextmanager
def _workers(executor: str, scheduler: str | None, n: int, engine: str):
    """Yield (submit(job) -> future, as_completed) for a pool of warm local processes or a Dask cluster."""
    if executor == "dask":
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise ICFError("--executor dask needs dask.distributed: pip install 'icframework[dask]'") from None
        client = Client(scheduler)
        try:
            client.run(warm_worker, engine)
            yield (lambda job: client.submit(run_job, job, pure=False)), as_completed
        finally:
            client.close()
    else:
        pool = concurrent.futures.ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                                                      initializer=_local_worker, initargs=(engine,))
        try:
            yield (lambda job: pool.submit(run_job, job)), concurrent.futures.as_completed
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_all(submit, as_completed, jobs: list[Job], tick):
    """Submit `jobs` and yield their results as they finish; a crashed worker fails only its own results."""
    futures = {}
    for job in jobs:
        try:
            futures[submit(job)] = job
        except Exception as exc:  # noqa: BLE001 - e.g. the pool broke because a worker was killed
            tick()
            yield _worker_failed(job, exc)
    for future in as_completed(list(futures)):
        job = futures[future]
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001
            result = _worker_failed(job, exc)
        tick()
        yield result


def _worker_failed(job: Job, exc: Exception) -> JobResult:
    return JobResult(job.name, "failed", error=f"worker failed: {type(exc).__name__}: {exc}")
