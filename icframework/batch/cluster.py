"""Running a batch on a Dask cluster (`icf run --executor dask --scheduler ADDRESS`).

- Every worker warms up once, when it joins (new and restarted workers too), through a `WorkerPlugin` whose
  set-up runs in a thread, so the worker's event loop keeps answering the scheduler meanwhile.
- Each notebook is one task; its worker publishes the city's files itself as soon as it finishes
  (`execute.run_job`), and the client lets go of each result as soon as it has it, so a lost worker costs at most
  the cities it was running: Dask reruns those elsewhere (up to `distributed.scheduler.allowed-failures` times,
  3 by default) and never reruns a finished one. A worker lost after publishing a city but before the client
  heard of it costs nothing either: each manifest names the run that wrote it, so the rerun (or the client,
  when no worker is left) finds the city done. A result is never waited for without a bound: one that was on a
  lost worker goes back among the pending ones.
- When no worker is left for `worker_timeout` seconds, the run stops: the cities not done are reported as failed
  (with the reason), their half-made staging folders are removed, and the next run picks up only what is missing.

One notebook runs at a time per worker process (a warm worker runs its notebooks one after another), so the
number of worker processes governs how many run at once: `dask worker ADDRESS --nworkers N --nthreads 1`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator

from distributed import Client, wait
from distributed.diagnostics.plugin import WorkerPlugin

from .execute import JobResult, local_worker, published_in, remove_staging, run_job
from .plan import Job

POLL = 0.5  # seconds between looks at the cluster while waiting for results


class WarmUp(WorkerPlugin):
    """Import what the workbooks need, once per worker process, off the worker's event loop."""

    idempotent = True  # registered by every run: a worker that is warm already stays as it is
    name = "icframework-warm-up"

    def __init__(self, engine: str):
        self.engine = engine

    async def setup(self, worker):
        await asyncio.to_thread(local_worker, self.engine)


def run_once(job: Job, run: str) -> JobResult:
    """`run_job`, unless this run published the job's outputs already (Dask reruns a task whose worker was lost
    after it finished but before its result reached the client)."""
    return JobResult(job.name, "ok") if published_in(job, run) else run_job(job, run)


def connect(scheduler: str, engine: str, timeout: float) -> Client:
    """A client of the cluster at `scheduler`, with the warm-up plugin registered."""
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        from ..errors import ICFError

        raise ICFError(f"cannot reach the Dask scheduler at {scheduler} ({exc}): start it with `dask scheduler`, "
                       "or check the address") from None
    client.register_plugin(WarmUp(engine))
    return client


def run_on_cluster(client: Client, jobs: list[Job], tick: Callable[[], None],
                   worker_timeout: float, more: Callable[[], list[Job]] | None = None) -> Iterator[JobResult]:
    """Run `jobs` (then those `more()` returns, worked out while the first run) as Dask tasks and yield each
    result as it arrives (see the module's docstring)."""
    run = uuid.uuid4().hex
    futures = {client.submit(run_once, job, run, pure=False, key=f"icf-{job.stem}-{job.name}-{run}",
                             priority=len(jobs) - i): job  # in the order given: the convening first
               for i, job in enumerate(jobs)}
    for job in more() if more else []:
        futures[client.submit(run_once, job, run, pure=False, key=f"icf-{job.stem}-{job.name}-{run}")] = job
    pending = set(futures)
    alone_since = None
    while pending:
        try:
            done, pending = wait(pending, timeout=POLL, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        for future in done:
            job = futures[future]
            try:
                result = future.result(timeout=POLL)
            except TimeoutError:  # its result was on a worker lost meanwhile: Dask runs it again, if it can
                pending.add(future)
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after too many lost workers
                result = JobResult(job.name, "failed", error=f"worker lost: {type(exc).__name__}: {exc}")
            del futures[future]
            future.release()  # the cluster forgets it: a later lost worker cannot make it run again
            tick()
            yield result
        if not pending:
            break
        if client.scheduler_info().get("workers"):
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since > worker_timeout:
            client.cancel(list(pending))
            for future in pending:
                job = futures[future]
                remove_staging(job.out_dir)
                tick()
                if published_in(job, run):  # its worker was lost after publishing it
                    yield JobResult(job.name, "ok")
                    continue
                yield JobResult(job.name, "failed", error=f"not run: no Dask worker for {worker_timeout:g} s "
                                                          "(start workers and run again; finished cities are kept)")
            return


