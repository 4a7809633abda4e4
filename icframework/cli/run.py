"""`icf run`: execute the workbooks for every city of a round, in parallel, with the convening workbook."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .core import settings, store_option


@main.command("run")
@click.option("--round", "round_id", required=True, metavar="ROUND",
              help="The round (assessment cycle) to run, for example virtual-2020; `icf rounds` lists them.")
@click.option("--cities", default=None, metavar="A,B",
              help="Only these cities (comma-separated slugs). Default: every city with respondents in the round.")
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(min=1),
              help="How many notebooks run at once on this machine (worker processes). On a Dask cluster the "
                   "number of worker processes governs instead: `dask worker ADDRESS --nworkers N --nthreads 1`.")
@click.option("--force", is_flag=True,
              help="Run every city and the convening again, even those whose briefs would not change.")
@store_option
@click.option("--out", "out_dir", default=None, metavar="DIR|URL",
              help="Outputs go to OUT/<round>/<city>/ (default: the programme's build folder, else ./build). A URL "
                   "such as s3://bucket/briefs writes through fsspec, so Dask workers need no shared folder.")
@click.option("--engine", type=click.Choice(["warm", "kernel"]), default="warm", show_default=True,
              help="warm: run cells in long-lived worker processes with the imports already loaded (fast); "
                   "kernel: start a fresh Jupyter kernel per notebook (papermill's default engine).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: a pool of worker processes on this machine; dask: tasks on a Dask cluster "
                   "(needs --scheduler and `pip install 'icframework[dask]'`).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Address of the Dask scheduler for --executor dask, for example tcp://10.0.0.5:8786.")
@click.option("--worker-timeout", default=60.0, show_default=True, type=click.FloatRange(min=1), metavar="SECONDS",
              help="With --executor dask: stop when no worker has been there this long, naming the cities not done "
                   "(run again when workers are back: finished cities are kept).")
@click.option("--notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Run this city workbook instead of workbooks/city_diagnostic.ipynb (same parameters).")
@click.option("--convening/--no-convening", default=True, show_default=True,
              help="Also run the convening workbook once for the round (OUT/<round>/convening/), beside the "
                   "cities.")
@click.option("--render/--no-render", default=True, show_default=True,
              help="Also make each brief as HTML and PDF (brief.html, brief.pdf) with icframework.render.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr.")
@click.option("--lang", "langs", default=None, metavar="CODES",
              help="Make every brief in these languages, comma-separated, the main one first (brief.pdf), e.g. "
                   "en,cy (brief.cy.pdf). Default: each city file's `languages`, else the programme's.")
def run_cmd(round_id, cities, jobs, force, store_url, out_dir, engine, executor, scheduler, worker_timeout, notebook,
            convening, render, progress, langs):
    """Execute the city workbook for each city of a round with Papermill, in parallel, and the convening
    workbook beside them. One city's failure does not stop the others; the summary names each failed city with
    the cell and the error, and the exit code is 1.

    Runs are incremental: a city runs again only when what its brief shows changed since its last run (its
    own answers or files, its pairs in the round's peer plan, the framework, workbook or icframework), and the
    convening when a city's answers or city file changed. The summary says what ran and why, e.g.
    "ran, its answers changed: cardiff", "ran, its peers changed: bristol", "ran convening: cardiff's answers
    changed"; the others are counted as skipped (see --force).

    Example: icf run --round virtual-2020 --cities cardiff,newport --jobs 2
    """
    from ..batch.pool import run_batch

    slugs = [c.strip() for c in cities.split(",") if c.strip()] if cities is not None else None
    ctx = click.get_current_context()
    if executor == "dask" and ctx.get_parameter_source("jobs") is click.core.ParameterSource.COMMANDLINE:
        click.secho("Note: --jobs does not apply on a Dask cluster; each worker process runs one notebook at a "
                    "time (start more with `dask worker ADDRESS --nworkers N --nthreads 1`).", fg="yellow", err=True)
    from ..i18n import parse_languages, review_notes

    languages = parse_languages(langs)
    run = settings(store_url, build=out_dir)
    result = run_batch(round_id, slugs, settings=run, jobs=jobs, force=force,
                       executor=executor, scheduler=scheduler, engine=engine, progress=progress,
                       notebook=notebook, convening=convening, render=render, worker_timeout=worker_timeout,
                       languages=languages)
    click.echo(result.summary())
    for note in review_notes(languages or run.languages, run.locale):
        click.echo(note, err=True)
    if not result.ok:
        sys.exit(1)
